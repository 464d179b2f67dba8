"""The activity log (第七點第一款): every change as one hash-chained line, verified and purged.

Owns the chain (hashing, the head, line checks), appending and recovery, and
the retention purge that replaces the oldest lines with an anchor.  Imports
core only; the store writes through it.
"""
