"""Opening a self-audit (7.2): the population, the random draw and the risk picks.

:func:`open_audit` takes the agency's imported rows of a period as the
population and draws the 7.2 minimum at random, reproducibly from a recorded
seed; :func:`add_risk_picks` adds labelled risk-based records on top.  Each
drawn row becomes a :class:`SampledRecord`, its subject ID masked.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime

import pyarrow as pa

from tracker.compliance.catalogue import Catalogue
from tracker.compliance.loader import default_catalogue
from tracker.core import clock
from tracker.core.dates import roc_short
from tracker.core.errors import InvalidInput, NotAllowed
from tracker.core.idnumbers import mask_id, mask_ids_in_text
from tracker.domain.accounts import NiaAccount
from tracker.domain.audits import RANDOM, SampledRecord, SelfAudit
from tracker.domain.vendors import Agency
from tracker.querylog.sampling import RISK_REASONS, draw_audit_sample, risk_picks
from tracker.querylog.store import LogStore
from tracker.storage.registry import new_id
from tracker.storage.store import Store

PICKS = (RANDOM, *RISK_REASONS)


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
    ``min(N, max(floor, ceil(N × ratio)))``); ``seed`` (the 抽樣代碼) defaults to a
    fresh random number and is recorded, so the draw can be repeated.  Refuses a
    period ending after today, one overlapping another audit of the agency (one
    audit per agency and period; the message names the other), and an empty
    population (import the period's export first).
    """
    agency = store.require(Agency, agency_id)
    if period_end < period_start:
        raise InvalidInput("稽核期間迄日早於起日", "the period ends before it starts")
    if period_end > clock.today():
        raise InvalidInput(
            f"稽核期間迄日不得晚於今天（{roc_short(clock.today())}）",
            "the period ends in the future",
        )
    seed = secrets.randbelow(2**31) if seed is None else int(seed)
    ratio, floor = (catalogue or default_catalogue()).sampling_rule()
    with store.locked():
        _refuse_overlap(store, agency, period_start, period_end)
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


def _refuse_overlap(store: Store, agency: Agency, start: date, end: date) -> None:
    """7.2: one self-audit per agency and period; an overlapping period would sample the same rows."""
    for other in store.all(SelfAudit, agency=agency.id):
        if other.period_start <= end and start <= other.period_end:
            state = f"已結案 {roc_short(other.closed_on)}" if other.closed_on else "進行中"
            raise NotAllowed(
                f"{agency.name} 已有 {roc_short(other.period_start)}–{roc_short(other.period_end)} "
                f"之自主稽核（{state}），期間不得重疊；請於「稽核作業」選擇該稽核",
                f"the period overlaps audit {other.id}",
            )


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
        audit = require_open(store, audit_id)
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


def sampled_records(store: Store, audit_id: str) -> list[SampledRecord]:
    """The audit's sampled records in the order they were drawn (random first, then risk picks)."""
    audit = store.require(SelfAudit, audit_id)
    records = store.all(SampledRecord, agency=audit.agency_id, audit=audit.id)
    return sorted((_masked(r) for r in records), key=lambda r: r.id)


_FREE_TEXT = ("account", "query_type", "purpose", "ip", "case_ref", "note")


def _masked(record: SampledRecord) -> SampledRecord:
    """The record with IDs in its free text masked: records sampled before imports and
    forms masked them still hold full IDs, and every screen and file reads them here."""
    texts = {name: getattr(record, name) for name in _FREE_TEXT}
    masked = {name: mask_ids_in_text(value) for name, value in texts.items()}
    return record if masked == texts else replace(record, **masked)


def require_open(store: Store, audit_id: str) -> SelfAudit:
    """The audit, unless it is closed (then NotAllowed: its sampled records are final)."""
    audit = store.require(SelfAudit, audit_id)
    if audit.closed_on is not None:
        raise NotAllowed("稽核已結案，不能再修改抽查紀錄", "the audit is closed")
    return audit


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
        # free text masked again: rows imported before imports masked it still hold IDs
        account=mask_ids_in_text(str(row["account"]).strip()),
        query_type=mask_ids_in_text(str(row["query_type"]).strip()),
        subject_id=mask_id(row["subject_id"]),
        purpose=mask_ids_in_text((row.get("purpose") or "").strip()),
        ip=mask_ids_in_text((row.get("ip") or "").strip()),
        pick=row["pick"],
        source_sha256=row.get("source_sha256") or "",
    )


def _departed(store: Store, agency_id: str) -> dict[str, date]:
    """Log account name -> the day its holder left, for the register's accounts (5.3)."""
    return {
        (a.login or a.id): a.holder_left_on
        for a in store.all(NiaAccount, agency=agency_id)
        if a.holder_left_on is not None
    }
