"""What an obligation applies to, named the way people know it."""

from __future__ import annotations

from tracker.domain.accounts import NiaAccount
from tracker.domain.audits import SelfAudit
from tracker.domain.vendors import Agency, Contract, DedicatedPC, Incident, Vendor, VendorStaff


def subject_label(record) -> str:
    """The label of a subject record: a name, a contract's title, a PC's asset tag, an
    incident's summary, an account's holder, an audit's period (ISO); else its id."""
    if isinstance(record, Agency | Vendor | VendorStaff):
        return record.name
    if isinstance(record, Contract):
        return record.title
    if isinstance(record, DedicatedPC):
        return record.asset_tag
    if isinstance(record, Incident):
        return record.summary
    if isinstance(record, NiaAccount):
        return record.holder
    if isinstance(record, SelfAudit):
        return f"{record.period_start.isoformat()}–{record.period_end.isoformat()}"
    return record.id
