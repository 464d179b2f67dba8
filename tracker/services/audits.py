"""The self-audit of query logs (自主稽核, points 7.2–7.5) as a workflow in the store.

1. :func:`import_query_log` keeps an NIA export: its rows in the
   :class:`~tracker.logstore.LogStore`, the original file in the evidence
   folder by SHA-256, and a :class:`QueryLogImport` record in the store.
2. :func:`open_audit` takes the agency's imported rows of a period as the
   population and draws the 7.2 minimum at random, reproducibly from a recorded
   seed; :func:`add_risk_picks` adds labelled risk-based records on top.
3. :func:`record_finding` gives each :class:`SampledRecord` a finding.
4. :func:`close_audit` refuses while any finding is missing, then stores the
   audit record (抽查紀錄, PDF and XLSX) as evidence.
5. A "not legitimate" finding opens the audit's case: :func:`record_case`
   (7.3 notification, 7.4 corrective action, 7.5 recommendation).  Until the
   corrective action is done the accounts concerned are flagged
   (:func:`flagged_accounts`, read by the 5.5/6.1 status checks).

Sampled records keep the subject ID masked only; the full number stays in
the imported log, which the agency needs to answer the NIA.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime

import pyarrow as pa

from tracker import clock
from tracker.blobs import BlobStore
from tracker.catalogue import Catalogue, default_catalogue
from tracker.domain import Agency, Evidence, NiaAccount, ReviewState, SelfAudit, SubjectKind
from tracker.errors import InvalidInput, NotAllowed
from tracker.idnumbers import mask_id
from tracker.logstore import LogStore
from tracker.querylog import read_export
from tracker.sampling import RANDOM, RISK_REASONS, draw_audit_sample, risk_picks
from tracker.services.vendors import clean_text
from tracker.store import Store, new_id, register_collection

FINDINGS = ("legitimate", "not_legitimate", "unclear")
PICKS = (RANDOM, *RISK_REASONS)
REQUIRED_PER_YEAR = 2
_ID_IN_TEXT = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9]\d{8}(?!\d)")


@dataclass(frozen=True)
class QueryLogImport:
    """One NIA export imported for an agency; the original file is kept by ``sha256``."""

    id: str
    agency_id: str
    sha256: str
    rows: int
    imported_by: str
    imported_at: datetime
    format: str
    filename: str = ""
    first_queried_at: datetime | None = None
    last_queried_at: datetime | None = None


@dataclass(frozen=True)
class SampledRecord:
    """One query-log row drawn for an audit, with its finding.

    ``subject_id`` is masked; ``pick`` is ``random`` or a risk reason
    (``departed_holder``, ``outside_office_hours``, ``no_purpose``, ``heavy_user``);
    ``queried_at`` is naive Taipei time as exported.  ``finding`` is ``""``
    until a reviewer records one of :data:`FINDINGS`.
    """

    id: str
    audit_id: str
    agency_id: str
    line: int
    queried_at: datetime
    account: str
    query_type: str
    subject_id: str
    purpose: str = ""
    ip: str = ""
    pick: str = RANDOM
    source_sha256: str = ""
    finding: str = ""
    note: str = ""
    case_ref: str = ""
    reviewed_by: str = ""
    reviewed_at: datetime | None = None


register_collection("query_log_imports", QueryLogImport, lambda r: f"a-{r.agency_id}")
register_collection("sampled_records", SampledRecord, lambda r: f"a-{r.agency_id}.{r.audit_id}")


# --- importing ---------------------------------------------------------------


def log_store(settings) -> LogStore:
    """The query-log store of a data folder: ``<data dir>/query-logs`` (see :mod:`tracker.logstore`)."""
    return LogStore(settings.data_dir / "query-logs")


def import_query_log(
    store: Store,
    logs: LogStore,
    blobs: BlobStore,
    actor: str,
    *,
    agency_id: str,
    data: bytes,
    filename: str = "",
) -> QueryLogImport:
    """Check and keep one export for ``agency_id`` (7.1, 7.2).

    Raises InvalidInput for an unknown agency, a file the parser refuses (its
    message), or a file already imported for the agency; nothing is kept then.
    """
    if store.get(Agency, agency_id) is None:
        raise InvalidInput(f"查無機關 {agency_id}", f"unknown agency {agency_id!r}")
    filename = clean_text(filename, "檔名", "file name", required=False, max_len=255)
    log = read_export(data, filename=filename or None)
    earlier = next((r for r in logs.imports(agency_id) if r.sha256 == log.sha256), None)
    if (
        earlier is not None
    ):  # checked before keeping the file; import_log checks again under its lock
        when = earlier.imported_at.strftime("%Y-%m-%d %H:%M")
        raise InvalidInput(
            f"此檔案已於 {when} 由 {earlier.imported_by} 匯入（{earlier.rows} 筆），不重複匯入",
            f"this file was already imported on {when} by {earlier.imported_by} ({earlier.rows} rows)",
        )
    blobs.put(bytes(data))
    entry = logs.import_log(log, agency_id, actor, clock.now())
    record = QueryLogImport(
        id=new_id("qli"),
        agency_id=agency_id,
        sha256=entry.sha256,
        rows=entry.rows,
        imported_by=actor,
        imported_at=entry.imported_at,
        format=entry.format,
        filename=filename,
        first_queried_at=entry.first_queried_at,
        last_queried_at=entry.last_queried_at,
    )
    return store.put(record, actor=actor, action="query_log_imported")


def list_imports(store: Store, agency_id: str) -> list[QueryLogImport]:
    return sorted(
        store.all(QueryLogImport, partition=f"a-{agency_id}"), key=lambda r: r.imported_at
    )


# --- opening and sampling ----------------------------------------------------


def open_audit(
    store: Store,
    logs: LogStore,
    actor: str,
    *,
    agency_id: str,
    period_start: date,
    period_end: date,
    seed: int | None = None,
    catalogue: Catalogue | None = None,
) -> SelfAudit:
    """7.2: open an audit of the agency's imported query records from ``period_start`` to ``period_end``.

    The sample size follows the catalogue's rule (``sampling_rule()``, read as
    ``min(N, max(floor, ceil(N × ratio)))``); ``seed`` defaults to a fresh
    random number and is recorded, so the draw can be repeated.  Refuses an
    empty population (import the period's export first).
    """
    agency = store.require(Agency, agency_id)
    if period_end < period_start:
        raise InvalidInput("稽核期間迄日早於起日", "the period ends before it starts")
    if period_start > clock.today():
        raise InvalidInput("稽核期間尚未開始", "the period has not started yet")
    seed = secrets.randbelow(2**31) if seed is None else int(seed)
    ratio, floor = (catalogue or default_catalogue()).sampling_rule()
    log = logs.rows(agency.id, period_start, period_end)
    if log.population == 0:
        raise InvalidInput(
            "此期間沒有已匯入的查詢紀錄，請先匯入查詢紀錄檔",
            "no imported query records in this period; import the export first",
        )
    sample = draw_audit_sample(log, seed, ratio=ratio, floor=floor)
    audit = SelfAudit(
        id=new_id("au"),
        agency_id=agency.id,
        period_start=period_start,
        period_end=period_end,
        population=sample.population,
        sample_size=sample.sample_size,
        seed=seed,
        opened_by=actor,
        opened_at=clock.now(),
        sample_ratio=f"{ratio.numerator}/{ratio.denominator}",
        sample_floor=floor,
    )
    records = [_sampled(audit, n, row) for n, row in enumerate(sample.rows, 1)]
    store.put_many([audit, *records], actor=actor, action="audit_opened")
    return audit


def add_risk_picks(
    store: Store,
    logs: LogStore,
    actor: str,
    audit_id: str,
    *,
    reasons: Iterable[str] = RISK_REASONS,
    limit_per_reason: int = 5,
    office_hours: tuple[int, int] = (8, 18),
    heavy_users: int = 3,
) -> list[SampledRecord]:
    """7.2: the account manager adds risk-based records on top of the random draw.

    Reasons: queries by an account whose holder has left (from the register's
    ``holder_left_on``, on or after that day), outside office hours or at
    weekends, without a stated purpose, and by the heaviest users.  Each added
    record is labelled with its reason.  Refused once the audit is closed, or
    when the period's population changed since the audit was opened.
    """
    wanted = [r for r in reasons if r]
    if set(wanted) - set(RISK_REASONS) or not wanted:
        raise InvalidInput("未知的風險抽查條件", f"reasons must be among {', '.join(RISK_REASONS)}")
    if not 1 <= int(limit_per_reason) <= 100:
        raise InvalidInput("每項條件抽查筆數須為 1 至 100", "limit_per_reason must be 1 to 100")
    with store.locked():
        audit = _require_open(store, audit_id)
        log = logs.rows(audit.agency_id, audit.period_start, audit.period_end)
        if log.population != audit.population:
            raise NotAllowed(
                f"開啟稽核後查詢紀錄有變動（原 {audit.population} 筆，現 {log.population} 筆），請另開稽核",
                "the population changed since the audit was opened",
            )
        existing = sampled_records(store, audit.id)
        taken = {(r.source_sha256, r.line) for r in existing}
        keys = zip(
            log.table["source_sha256"].to_pylist(), log.table["line"].to_pylist(), strict=True
        )
        exclude = [i for i, key in enumerate(keys) if key in taken]
        picks = risk_picks(
            log,
            office_hours=office_hours,
            departed_accounts=_departed(store, audit.agency_id),
            top_n_heavy_users=heavy_users if "heavy_user" in wanted else 0,
            limit_per_reason=int(limit_per_reason),
            seed=audit.seed,
            exclude=exclude,
        )
        picks = [(i, reason) for i, reason in picks if reason in wanted]
        rows = log.table.take(pa.array([i for i, _ in picks], pa.int64())).to_pylist()
        added = [
            _sampled(
                audit,
                len(existing) + n,
                dict(row, pick=reason, subject_id=mask_id(row["subject_id"])),
            )
            for n, (row, (_, reason)) in enumerate(zip(rows, picks, strict=True), 1)
        ]
        changed = replace(audit, risk_picks=audit.risk_picks + len(added))
        store.put_many([changed, *added], actor=actor, action="audit_risk_picks_added")
    return added


# --- findings, the case and closing --------------------------------------------


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
    """Several ``(record_id, finding, note, case_ref)`` at once, all or nothing, in one write."""
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
        audits = [_require_open(store, audit_id) for audit_id in audit_ids]
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
        store.put_many([*changed, *counted], actor=actor, action="audit_findings_recorded")
    return changed


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
    count).  The PDF and the XLSX are stored as ``audit_record`` evidence of the
    agency (obligation 7.2), submitted for the IT office's review.
    """
    from tracker.auditrecord import record_pdf, record_xlsx

    closed_on = closed_on or clock.today()
    if closed_on > clock.today():
        raise InvalidInput("結案日期不得晚於今天", "the closing date is in the future")
    with store.locked():
        audit = _require_open(store, audit_id)
        missing = missing_findings(store, audit.id)
        if missing:
            raise NotAllowed(
                f"尚有 {missing} 筆抽查紀錄未填查核結果，無法結案",
                f"{missing} sampled records have no finding yet",
            )
        closed = replace(audit, closed_on=closed_on, closed_by=actor)
        agency = store.require(Agency, audit.agency_id)
        records = sampled_records(store, audit.id)
        files = {
            "pdf": record_pdf(closed, agency, records, catalogue),
            "xlsx": record_xlsx(closed, agency, records, catalogue),
        }
        evidence = {
            ext: _record_evidence(blobs, actor, closed, data, ext) for ext, data in files.items()
        }
        closed = replace(
            closed, record_pdf_id=evidence["pdf"].id, record_xlsx_id=evidence["xlsx"].id
        )
        store.put_many([*evidence.values(), closed], actor=actor, action="audit_closed")
    return closed


# --- reading -------------------------------------------------------------------


def list_audits(store: Store, agency_id: str | None = None) -> list[SelfAudit]:
    part = f"a-{agency_id}" if agency_id else None
    return sorted(
        store.all(SelfAudit, partition=part), key=lambda a: (a.agency_id, a.period_start, a.id)
    )


def sampled_records(store: Store, audit_id: str) -> list[SampledRecord]:
    """The audit's sampled records in the order they were drawn (random first, then risk picks)."""
    audit = store.require(SelfAudit, audit_id)
    records = store.all(SampledRecord, partition=f"a-{audit.agency_id}.{audit.id}")
    return sorted(records, key=lambda r: r.id)


def audits_done(store: Store, year: int) -> dict[str, int]:
    """7.2: per agency id, the audits closed in ``year`` (each agency listed, 0 included)."""
    done = dict.fromkeys((a.id for a in store.all(Agency)), 0)
    for audit in store.all(SelfAudit):
        if audit.closed_on and audit.closed_on.year == year:
            done[audit.agency_id] = done.get(audit.agency_id, 0) + 1
    return done


def flagged_accounts(store: Store) -> frozenset[str]:
    """5.5, 6.1: ids of NIA accounts with a "not legitimate" finding whose case is not resolved.

    Read as: resolved once the audit's corrective action is done
    (``corrective_done_on``).  A log account is matched to the register by the
    account's ``login``, else by its id.
    """
    open_cases = [a for a in store.all(SelfAudit) if a.violations and a.corrective_done_on is None]
    flagged: set[str] = set()
    for audit in open_cases:
        names = {
            r.account for r in sampled_records(store, audit.id) if r.finding == "not_legitimate"
        }
        for account in store.all(NiaAccount, partition=f"a-{audit.agency_id}"):
            if account.login in names or account.id in names:
                flagged.add(account.id)
    return frozenset(flagged)


def record_files(store: Store, blobs: BlobStore, audit_id: str) -> dict[str, bytes]:
    """The kept audit record of a closed audit: ``{"pdf": bytes, "xlsx": bytes}``."""
    audit = store.require(SelfAudit, audit_id)
    if not audit.closed_on:
        raise NotAllowed("稽核尚未結案，尚無抽查紀錄", "the audit is not closed yet")
    return {
        ext: blobs.read(store.require(Evidence, ev_id).sha256)
        for ext, ev_id in (("pdf", audit.record_pdf_id), ("xlsx", audit.record_xlsx_id))
    }


# --- helpers -------------------------------------------------------------------


def _sampled(audit: SelfAudit, number: int, row: dict) -> SampledRecord:
    queried_at = row["queried_at"]
    if isinstance(queried_at, str):
        queried_at = datetime.fromisoformat(queried_at)
    return SampledRecord(
        id=f"{audit.id}-{number:05d}",
        audit_id=audit.id,
        agency_id=audit.agency_id,
        line=int(row["line"]),
        queried_at=queried_at,
        account=str(row["account"]).strip(),
        query_type=str(row["query_type"]).strip(),
        subject_id=mask_id(row["subject_id"]),
        purpose=(row.get("purpose") or "").strip(),
        ip=(row.get("ip") or "").strip(),
        pick=row["pick"],
        source_sha256=row.get("source_sha256") or "",
    )


def _departed(store: Store, agency_id: str) -> dict[str, date]:
    """Log account name -> the day its holder left, for the register's accounts (5.3)."""
    return {
        (a.login or a.id): a.holder_left_on
        for a in store.all(NiaAccount, partition=f"a-{agency_id}")
        if a.holder_left_on is not None
    }


def _require_open(store: Store, audit_id: str) -> SelfAudit:
    audit = store.require(SelfAudit, audit_id)
    if audit.closed_on is not None:
        raise NotAllowed("稽核已結案，不能再修改抽查紀錄", "the audit is closed")
    return audit


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
    note = _ID_IN_TEXT.sub(
        lambda m: mask_id(m[0]), clean_text(note, "說明", "note", required=False, max_len=1000)
    )
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


def _record_evidence(
    blobs: BlobStore, actor: str, audit: SelfAudit, data: bytes, ext: str
) -> Evidence:
    """The audit record as evidence of 7.2, approved by the account manager who closed the audit.

    It is the agency's own record, generated by this app from the findings, not
    a document from outside: there is nothing for the IT office to inspect, so
    it does not wait in the review queue.
    """
    sha256 = blobs.put(data)
    now = clock.now()
    name = f"抽查紀錄-{audit.agency_id}-{audit.period_start.isoformat()}-{audit.period_end.isoformat()}.{ext}"
    return Evidence(
        id=new_id("ev"),
        obligation_id="7.2",
        subject_kind=SubjectKind.AGENCY,
        subject_id=audit.agency_id,
        kind="audit_record",
        sha256=sha256,
        filename=name,
        uploaded_by=actor,
        uploaded_at=now,
        agency_id=audit.agency_id,
        effective=audit.closed_on,
        state=ReviewState.APPROVED,
        reviewed_by=actor,
        reviewed_at=now,
        review_reason="結案時由系統產製 generated when the audit was closed",
        inspection={"generated": True, "audit_id": audit.id, "format": ext},
    )
