"""NIA query-log exports: readers, schema, checks, dates, store, sampling."""
