"""How long approved evidence stays valid: the one reading used by the status engine and by approval."""

from __future__ import annotations

from datetime import date

from tracker.compliance.catalogue import EvidenceKind
from tracker.core.clock import add_months, local_date
from tracker.domain.evidence import Evidence
from tracker.domain.vendors import Contract


def valid_until(
    kind: EvidenceKind | None, ev: Evidence, contract: Contract | None
) -> tuple[date | None, bool]:
    """When approved evidence stops being valid, and whether "due soon" applies before that.

    Evidence of a kind tied to the contract's end follows ``contract`` (an
    extension extends it; ``None`` without a contract) and never shows as due
    soon.  Otherwise the date set at approval, or the kind's ``validity_months``
    counted from the document's own date (``effective``), else from the day it
    was reviewed, else uploaded.  ``(None, False)``: valid without end.
    """
    if kind is not None and kind.valid_until_contract_end:
        return (contract.end if contract else None), False
    if ev.valid_until is not None:
        return ev.valid_until, True
    if kind is not None and kind.validity_months:
        start = ev.effective or local_date(ev.reviewed_at or ev.uploaded_at)
        return add_months(start, kind.validity_months), True
    return None, False
