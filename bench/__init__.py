"""Benchmarks of the tracker: ``python -m bench [--size S|M|L] [--only NAME...] [--json]``.

Every target is a ratio of contenders timed side by side in the same run
(interleaved, repeated, medians), or an absolute figure reported for a human
to judge; nothing here is a test.  See BENCHMARKS.md for the latest figures.
"""
