"""Corrections (更正): a departure, an evidence decision or an audit's closing set right, with a reason.

Nothing is erased: each use case writes the corrected record and a
:class:`~tracker.domain.corrections.Correction` (the reason and what changed) in one store write, so
the activity log holds the record's before and after next to the reason.  A reason is required.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from tracker.core import clock
from tracker.core.dates import roc_short
from tracker.core.errors import InvalidInput, NotAllowed
from tracker.documents.labels import REVIEW
from tracker.domain.audits import SelfAudit
from tracker.domain.corrections import Correction
from tracker.domain.enums import ReviewState
from tracker.domain.evidence import Evidence
from tracker.domain.vendors import VendorStaff
from tracker.services.vendors import clean_text
from tracker.storage.registry import collection_of, new_id
from tracker.storage.store import Store

REVIEWER_ROLES = {"it_office"}


def correct_departure(
    store: Store, actor: str, staff_id: str, reason: str, *, left_on: date | None = None
) -> VendorStaff:
    """8.10: a departure recorded by mistake is undone (``left_on`` ``None``) or given its right date.

    Undoing it also clears a recorded account removal, which only follows a departure.  Refused when
    no departure is recorded, for a future date or one before the person's start.
    """
    reason = _reason(reason)
    with store.locked():
        staff = store.require(VendorStaff, staff_id)
        if staff.end is None:
            raise NotAllowed(f"{staff.name} 尚未登錄離職，無需更正", f"{staff_id} has not left")
        if left_on is not None:
            _check_departure_day(staff, left_on)
            changed = replace(staff, end=left_on)
            summary = f"{staff.name} 離職日 {roc_short(staff.end)} → {roc_short(left_on)}"
        else:
            changed = replace(staff, end=None, accounts_removed_on=None)
            summary = f"{staff.name} 離職（{roc_short(staff.end)}）撤銷，改為在職"
        _save(store, actor, "departure", changed, reason, summary)
    return changed


def correct_review(store: Store, actor: str, role: str, evidence_id: str, reason: str) -> Evidence:
    """An approval or rejection set right: the evidence goes back to 待審查 for a new decision.

    Only the IT office reviews, so only it corrects a decision.  The approved evidence a
    corrected approval had superseded is approved again (it was valid until that approval),
    in the same logged change; the new decision decides again.
    """
    if role not in REVIEWER_ROLES:
        raise NotAllowed("僅資訊室可更正審查結果", "only the IT office corrects a review")
    reason = _reason(reason)
    with store.locked():
        evidence = store.require(Evidence, evidence_id)
        if evidence.state not in (ReviewState.APPROVED, ReviewState.REJECTED):
            raise NotAllowed(
                f"此佐證目前為「{REVIEW[evidence.state]}」，沒有可更正的審查結果",
                f"evidence is {evidence.state.value}",
            )
        if evidence.kind == "audit_record":
            raise NotAllowed(
                "抽查紀錄隨稽核結案產生，請更正稽核結案", "audit records follow the audit's closing"
            )
        changed = replace(
            evidence,
            state=ReviewState.SUBMITTED,
            reviewed_by=None,
            reviewed_at=None,
            review_reason="",
            valid_until=None,
        )
        when = roc_short(clock.local_date(evidence.reviewed_at)) if evidence.reviewed_at else "—"
        summary = f"{evidence.filename}：{REVIEW[evidence.state]}（{when}）→ 待審查"
        restored = [
            replace(e, state=ReviewState.APPROVED, superseded_by=None)
            for e in store.all(Evidence, vendor=evidence.vendor_id, agency=evidence.agency_id)
            if evidence.state == ReviewState.APPROVED
            and e.superseded_by == evidence.id
            and e.state == ReviewState.SUPERSEDED
        ]
        if restored:
            summary += "；" + "、".join(f"{e.filename} 恢復為已核准" for e in restored)
        _save(store, actor, "review", changed, reason, summary, extra=restored)
    return changed


def correct_audit_closing(store: Store, actor: str, audit_id: str, reason: str) -> SelfAudit:
    """7.2: an audit closed by mistake is reopened; its audit record (PDF and XLSX) is kept as superseded.

    Closing it again writes a new audit record.
    """
    reason = _reason(reason)
    with store.locked():
        audit = store.require(SelfAudit, audit_id)
        if audit.closed_on is None:
            raise NotAllowed("此稽核尚未結案，無需更正", "the audit is not closed")
        kept = [
            replace(record, state=ReviewState.SUPERSEDED)
            for record in (
                store.get(Evidence, audit.record_pdf_id) if audit.record_pdf_id else None,
                store.get(Evidence, audit.record_xlsx_id) if audit.record_xlsx_id else None,
            )
            if record is not None
        ]
        changed = replace(audit, closed_on=None, closed_by="", record_pdf_id="", record_xlsx_id="")
        period = f"{roc_short(audit.period_start)}–{roc_short(audit.period_end)}"
        summary = f"稽核 {period} 結案（{roc_short(audit.closed_on)}）撤銷，改為進行中"
        _save(store, actor, "audit_closing", changed, reason, summary, extra=kept)
    return changed


def corrections_of(store: Store, record_id: str) -> list[Correction]:
    """The corrections of one record, oldest first."""
    return sorted(
        (c for c in store.all(Correction) if c.record_id == record_id), key=lambda c: c.at
    )


def _reason(reason: str) -> str:
    return clean_text(reason, "更正理由", "reason for the correction", max_len=500)


def _check_departure_day(staff: VendorStaff, left_on: date) -> None:
    if left_on > clock.today():
        raise InvalidInput("離職日不得晚於今天", "the departure date is in the future")
    if left_on < staff.start:
        raise InvalidInput(
            f"離職日不得早於 {staff.name} 之到職日 {roc_short(staff.start)}",
            "the departure is before the start date",
        )


def _save(store: Store, actor: str, kind: str, record, reason: str, summary: str, extra=()) -> None:
    correction = Correction(
        id=new_id("cor"),
        kind=kind,
        collection=collection_of(record).name,
        record_id=record.id,
        reason=reason,
        summary=summary,
        actor=actor,
        at=clock.now(),
    )
    store.put_many([*extra, record, correction], actor=actor, action=f"{kind}_corrected")
