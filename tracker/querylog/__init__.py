"""NIA query-log exports (point 七): reading them, checking them, keeping them, sampling them.

Owns the CSV and XLSX readers (an XLSX read in a limited child process,
:mod:`~tracker.querylog.isolated`), the column schema and checks, timestamp parsing,
the Parquet log store of imported exports and the 7.2 sample draw.  Imports
core and domain, and the catalogue of :mod:`tracker.compliance` for the 7.2 rule.
"""
