"""Clock, dates, errors, configuration, the atomic file write, id numbers, text."""
