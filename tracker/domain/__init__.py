"""The domain model: every record type as a frozen dataclass, and the stable enums.

Owns the enums (:mod:`~tracker.domain.enums`), the parties (agencies, vendors,
contracts, staff, PCs, incidents), evidence and issued forms, self-audits with
imported query logs and sampled records, NIA accounts with their history,
web users, the :class:`~tracker.domain.facts.Facts` snapshot and subject labels.
No I/O.  Imports only :mod:`tracker.core`.
"""
