"""A self-audit's findings, the case a violation opens, and closing (7.2–7.5).

:func:`record_finding` gives each sampled record a finding; :func:`close_audit`
refuses while any finding is missing, then stores the audit record (抽查紀錄,
PDF and XLSX) as evidence.  A "not legitimate" finding opens the audit's case:
:func:`record_case` (7.3 notification, 7.4 corrective action, 7.5
recommendation).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from tracker.compliance.catalogue import Catalogue
from tracker.compliance.loader import default_catalogue
from tracker.core import clock
from tracker.core.dates import roc_short
from tracker.core.errors import InvalidInput, NotAllowed
from tracker.domain.audits import SampledRecord, SelfAudit
from tracker.domain.enums import ReviewState, SubjectKind
from tracker.domain.evidence import Evidence
from tracker.domain.vendors import Agency
from tracker.notify.notices import violation_records
from tracker.services.audit_sampling import require_open, sampled_records
from tracker.services.vendors import clean_text
from tracker.storage.blobs import BlobStore
from tracker.storage.registry import new_id
from tracker.storage.staging import Transaction
from tracker.storage.store import Store

FINDINGS = ("legitimate", "not_legitimate", "unclear")


def record_finding(
    store: Store, actor: str, record_id: str, *, finding: str, note: str = "", case_ref: str = ""
) -> SampledRecord:
    """A reviewer's finding on one sampled record (7.2).

    ``legitimate`` needs the case reference (個案編號) the query served;
    ``not_legitimate`` and ``unclear`` need a note.  National ID numbers typed
    into the note are masked.  Refused once the audit is closed.
    """
    return record_findings(store, actor, [(record_id, finding, note, case_ref)])[0]


def record_findings(
    store: Store, actor: str, findings: Iterable[tuple[str, str, str, str]]
) -> list[SampledRecord]:
    """Several ``(record_id, finding, note, case_ref)`` at once, all or nothing, in one write.

    A record newly found not legitimate queues the 7.3 notice to the ethics
    unit and the IT office in the same write (tracker.notify.notices).
    """
    checked = [(rid, *_check_numbered(rid, f, n, c)) for rid, f, n, c in findings]
    if not checked:
        return []
    with store.locked():
        changed = []
        for record_id, finding, note, case_ref in checked:
            record = store.require(SampledRecord, record_id)
            changed.append(
                replace(
                    record,
                    finding=finding,
                    note=note,
                    case_ref=case_ref,
                    reviewed_by=actor,
                    reviewed_at=clock.now(),
                )
            )
        audit_ids = {r.audit_id for r in changed}
        audits = [require_open(store, audit_id) for audit_id in audit_ids]
        updated = {r.id: r for r in changed}
        counted = [
            replace(
                a,
                violations=sum(
                    1
                    for r in sampled_records(store, a.id)
                    if updated.get(r.id, r).finding == "not_legitimate"
                ),
            )
            for a in audits
        ]
        notices = _violation_notices(store, changed, counted)
        store.put_many(
            [*changed, *counted, *notices], actor=actor, action="audit_findings_recorded"
        )
    return changed


def _violation_notices(store: Store, changed: list[SampledRecord], audits: list[SelfAudit]) -> list:
    """7.3: the outbox records of the notice of each audit's newly not-legitimate records."""
    found = [
        r
        for r in changed
        if r.finding == "not_legitimate"
        and store.require(SampledRecord, r.id).finding != "not_legitimate"
    ]
    out: list = []
    for audit in audits:
        mine = [r for r in found if r.audit_id == audit.id]
        if mine:
            out += violation_records(store, audit, mine, default_catalogue(), clock.now())
    return out


def record_case(
    store: Store,
    actor: str,
    audit_id: str,
    *,
    notified_on: date | None = None,
    notified_units: str | None = None,
    corrective_action: str | None = None,
    corrective_due: date | None = None,
    corrective_done_on: date | None = None,
    recommendation: str | None = None,
) -> SelfAudit:
    """The case a "not legitimate" finding opens; only the arguments given change.

    7.3: the ethics (政風) and IT units notified on ``notified_on``; 7.4: the
    corrective action with its due date and the day it was done; 7.5: the
    reward-or-discipline recommendation (write 「無」 for none).  Allowed
    before and after closing, only when the audit has a violation.
    """
    with store.locked():
        audit = store.require(SelfAudit, audit_id)
        if audit.violations == 0:
            raise NotAllowed("此稽核沒有不合法的查核結果，無需立案", "the audit found no violation")
        changes = _case_changes(
            audit,
            notified_on,
            notified_units,
            corrective_action,
            corrective_due,
            corrective_done_on,
            recommendation,
        )
        changed = replace(audit, **changes)
        if changed.corrective_due and not changed.corrective_action:
            raise InvalidInput(
                "請填寫改善措施", "the corrective action is required with its due date"
            )
        if changed.corrective_done_on and not changed.corrective_due:
            raise InvalidInput("請先訂定改善期限", "set the corrective action's due date first")
        store.put(changed, actor=actor, action="audit_case_updated")
    return changed


def missing_case_fields(audit: SelfAudit) -> list[str]:
    """What a violation's case still lacks before the audit may close: the day the ethics and IT
    units were notified (7.3) and the corrective action (7.4); ``[]`` without a violation."""
    if not audit.violations:
        return []
    return [
        label
        for value, label in (
            (audit.notified_on, "通知政風及資訊單位日期"),
            (audit.corrective_action, "改善措施"),
        )
        if not value
    ]


def missing_findings(store: Store, audit_id: str) -> int:
    """How many sampled records of the audit still have no finding."""
    return sum(1 for r in sampled_records(store, audit_id) if not r.finding)


def close_audit(
    store: Store,
    blobs: BlobStore,
    actor: str,
    audit_id: str,
    *,
    closed_on: date | None = None,
    catalogue: Catalogue | None = None,
) -> SelfAudit:
    """7.2: close the audit and keep its audit record (抽查紀錄) as evidence for five years.

    Refused while any sampled record has no finding (the message gives the
    count), and while a "not legitimate" finding's case lacks its notice date or
    corrective action (:func:`missing_case_fields`).  The PDF and the XLSX are stored as ``audit_record`` evidence of the
    agency (obligation 7.2), approved by the closer: there is nothing for the IT
    office to inspect (see :func:`_record_evidence`).
    """
    from tracker.documents.auditrecord import record_pdf, record_xlsx

    closed_on = closed_on or clock.today()
    if closed_on > clock.today():
        raise InvalidInput("結案日期不得晚於今天", "the closing date is in the future")
    with Transaction(store) as tx:  # the two files, the records and the log line together
        audit = require_open(store, audit_id)
        missing = missing_findings(store, audit.id)
        if missing:
            raise NotAllowed(
                f"尚有 {missing} 筆抽查紀錄未填查核結果，無法結案",
                f"{missing} sampled records have no finding yet",
            )
        case_gaps = missing_case_fields(audit)
        if case_gaps:
            raise NotAllowed(
                f"查核發現 {audit.violations} 筆不合法查詢，請先於「違失案件」填寫"
                f"{'、'.join(case_gaps)}，方可結案（第七點第三款、第四款）",
                "a violation's case needs its notice date and corrective action before closing",
            )
        closed = replace(audit, closed_on=closed_on, closed_by=actor)
        agency = store.require(Agency, audit.agency_id)
        records = sampled_records(store, audit.id)
        head = store.log.head()
        anchor = f"seq {head.seq} {head.hash}"
        files = {
            "pdf": record_pdf(closed, agency, records, catalogue, anchor),
            "xlsx": record_xlsx(closed, agency, records, catalogue, anchor),
        }
        evidence = {
            ext: _record_evidence(
                tx.add_blob(blobs, data), actor, closed, record_name(closed, agency), ext
            )
            for ext, data in files.items()
        }
        closed = replace(
            closed, record_pdf_id=evidence["pdf"].id, record_xlsx_id=evidence["xlsx"].id
        )
        store.put_many([*evidence.values(), closed], actor=actor, action="audit_closed")
    return closed


# --- helpers -------------------------------------------------------------------


def _check_numbered(record_id: str, finding: str, note: str, case_ref: str) -> tuple[str, str, str]:
    """:func:`_check_finding`, its message prefixed with the record's number (``au-…-00007`` → 第 7 筆)."""
    try:
        return _check_finding(finding, note, case_ref)
    except InvalidInput as exc:
        number = record_id.rsplit("-", 1)[-1].lstrip("0") or record_id
        raise InvalidInput(
            f"第 {number} 筆：{exc.message_zh}", f"record {number}: {exc.message_en}"
        ) from None


def _check_finding(finding: str, note: str, case_ref: str) -> tuple[str, str, str]:
    if finding not in FINDINGS:
        raise InvalidInput(
            "查核結果須為合法、不合法或無法判定", f"finding must be one of {', '.join(FINDINGS)}"
        )
    note = clean_text(note, "說明", "note", required=False, max_len=1000)  # IDs masked
    case_ref = clean_text(case_ref, "個案編號", "case reference", required=False, max_len=60)
    if finding == "legitimate" and not case_ref:
        raise InvalidInput(
            "查核為合法時請填寫個案編號", "a legitimate finding needs the case reference"
        )
    if finding != "legitimate" and not note:
        raise InvalidInput(
            "查核為不合法或無法判定時請填寫說明", "a not legitimate or unclear finding needs a note"
        )
    return finding, note, case_ref


def _case_changes(
    audit: SelfAudit, notified_on, notified_units, action, due, done, recommendation
) -> dict:
    today = clock.today()
    for day, zh in ((notified_on, "通知日期"), (done, "改善完成日期")):
        if day is not None and day > today:
            raise InvalidInput(f"{zh}不得晚於今天", "a date of something done is in the future")
    changes = {"notified_on": notified_on, "corrective_due": due, "corrective_done_on": done}
    changes = {k: v for k, v in changes.items() if v is not None}
    texts = {
        "notified_units": (notified_units, "通知單位"),
        "corrective_action": (action, "改善措施"),
        "recommendation": (recommendation, "獎懲建議"),
    }
    for key, (value, zh) in texts.items():
        if value is not None:
            changes[key] = clean_text(value, zh, key, required=False, max_len=1000)
    return changes


def record_name(audit: SelfAudit, agency: Agency) -> str:
    """The audit record's file name without extension: ``抽查紀錄-臺北市政府社會局-115-01-01至115-06-30``."""
    start, end = (roc_short(d).replace("/", "-") for d in (audit.period_start, audit.period_end))
    return f"抽查紀錄-{agency.name}-{start}至{end}"


def _record_evidence(sha256: str, actor: str, audit: SelfAudit, name: str, ext: str) -> Evidence:
    """The audit record as evidence of 7.2, approved by the account manager who closed the audit.

    It is the agency's own record, generated by this app from the findings, not
    a document from outside: there is nothing for the IT office to inspect, so
    it does not wait in the review queue.
    """
    now = clock.now()
    return Evidence(
        id=new_id("ev"),
        obligation_id="7.2",
        subject_kind=SubjectKind.AGENCY,
        subject_id=audit.agency_id,
        kind="audit_record",
        sha256=sha256,
        filename=f"{name}.{ext}",
        uploaded_by=actor,
        uploaded_at=now,
        agency_id=audit.agency_id,
        effective=audit.closed_on,
        state=ReviewState.APPROVED,
        reviewed_by=actor,
        reviewed_at=now,
        review_reason="結案時由系統產製",
        inspection={"generated": True, "audit_id": audit.id, "format": ext},
    )
