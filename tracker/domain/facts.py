"""The domain model: plain, frozen records with no I/O.

Stored enum values are stable snake_case English and never change; zh-TW labels
live in :mod:`tracker.documents.labels`.  Records refer to each other by string id.  Dates
are :class:`datetime.date`, instants are timezone-aware :class:`datetime.datetime`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker.domain.accounts import NiaAccount
from tracker.domain.audits import SelfAudit
from tracker.domain.evidence import Evidence
from tracker.domain.vendors import Agency, Contract, DedicatedPC, Incident, Vendor, VendorStaff


@dataclass(frozen=True)
class Facts:
    """Everything the status engine looks at, as one immutable snapshot.

    ``log_chain_ok`` says whether the activity log verified (7.1);
    ``retention_overdue`` counts records kept past their period (6.2);
    ``flagged_accounts`` holds NIA account ids with a "not legitimate" finding
    that is not yet resolved (5.5, 6.1).
    """

    agencies: tuple[Agency, ...] = ()
    vendors: tuple[Vendor, ...] = ()
    contracts: tuple[Contract, ...] = ()
    staff: tuple[VendorStaff, ...] = ()
    pcs: tuple[DedicatedPC, ...] = ()
    incidents: tuple[Incident, ...] = ()
    accounts: tuple[NiaAccount, ...] = ()
    audits: tuple[SelfAudit, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    log_chain_ok: bool = True
    retention_overdue: int = 0
    flagged_accounts: frozenset[str] = frozenset()
