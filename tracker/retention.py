"""Retention (points 6.2, 7.1, 7.2): what is past its keeping period, and purging it.

The rules, as read here ("today" is the Taipei calendar day; N years are
calendar years, 29 February counting as 28 February in a common year; a record
is *past retention* when ``since + N years`` is before today, so the last day
of the period is still kept):

* activity log line — N = 5 (7.1 "至少五年"), ``since`` = the day it was written;
* query-log import — N = 5 (7.1), ``since`` = its newest row (the log store's
  own rule, :func:`tracker.logstore.LogStore.expired_imports`);
* evidence — N = the catalogue's ``retention_years`` for its kind, never less
  than 5.  ``since`` = the day the evidence stopped being current:

  - ``rejected``: the day of the review;
  - ``superseded``: the day the next newer evidence for the same subject and
    kind was uploaded, or reviewed if that came later (a pending upload
    supersedes at upload, an approval at review: the later date is the safe one);
    without such a newer record the evidence is kept (the date is unknown);
  - ``approved`` with ``valid_until`` before today (expired): ``valid_until``;
  - ``submitted``, or ``approved`` and still valid or without an end: current,
    so never past retention;
  - ``audit_record`` (7.2 "抽查紀錄…保留五年"): a record to keep rather than a
    document that lapses, so it is counted from the later of the audit's
    closing day and its upload (or from the day above, if later).

``purge --before DATE`` removes only what is past retention *and* whose
``since`` is before DATE, and refuses a DATE later than today − 5 years: no
category is kept less than five years, so a later DATE could only ask for
younger records.  Evidence records are deleted through the store (each deletion
is logged with the record), their files only when no remaining record refers to
the same SHA-256; query-log imports through the log store's API; the activity
log last, by :meth:`tracker.activity.ActivityLog.purge_before` (anchor line).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time

import orjson

from tracker import clock
from tracker.activity import entry_instant, is_anchor
from tracker.blobs import BlobStore
from tracker.catalogue import Catalogue, default_catalogue
from tracker.domain import Evidence, ReviewState, SelfAudit
from tracker.errors import InvalidInput, StoreError

MIN_YEARS = 5  # point 7.1: 保存年限至少五年; the floor for every category
ACTIVITY_LOG, QUERY_LOG, EVIDENCE, AUDIT_RECORD = (
    "activity_log",
    "query_log",
    "evidence",
    "audit_record",
)


@dataclass(frozen=True)
class Item:
    """One thing past retention: ``since`` + ``years`` is ``keep_until``, which is before today."""

    category: str
    id: str
    since: date
    years: int
    keep_until: date
    detail: str = ""
    agency_id: str | None = None
    vendor_id: str | None = None
    sha256: str | None = None
    count: int = 1

    def as_dict(self) -> dict:
        return {
            "category": self.category,
            "id": self.id,
            "since": self.since.isoformat(),
            "years": self.years,
            "keep_until": self.keep_until.isoformat(),
            "detail": self.detail,
            "count": self.count,
            "agency_id": self.agency_id,
            "vendor_id": self.vendor_id,
        }


@dataclass(frozen=True)
class Report:
    today: date
    items: list[Item]
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        counts: dict[str, int] = defaultdict(int)
        for item in self.items:
            counts[item.category] += item.count
        return {
            "today": self.today.isoformat(),
            "counts": dict(sorted(counts.items())),
            "items": [i.as_dict() for i in self.items],
            "notes": self.notes,
        }


def shift_years(day: date, years: int) -> date:
    """``day`` moved by whole calendar years (29 February → 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def latest_allowed_before(today: date) -> date:
    """The latest ``--before`` a purge accepts: today − 5 years."""
    return shift_years(today, -MIN_YEARS)


# --- the report ----------------------------------------------------------------


def retention_report(
    store, today: date | None = None, *, catalogue: Catalogue | None = None
) -> Report:
    """Everything past its retention period as of ``today`` (default: Taipei today), oldest first."""
    today = today or clock.today()
    catalogue = catalogue or default_catalogue()
    notes: list[str] = []
    items = [
        *evidence_items(store, today, catalogue),
        *query_log_items(store, today, notes),
        *activity_log_items(store, today),
    ]
    return Report(today, sorted(items, key=lambda i: (i.since, i.category, i.id)), notes)


def overdue_count(store, today: date | None = None) -> int:
    """How many records are kept past their period (for ``Facts.retention_overdue``, point 6.2)."""
    return sum(item.count for item in retention_report(store, today).items)


def evidence_items(store, today: date, catalogue: Catalogue) -> list[Item]:
    records = store.all(Evidence)
    audits = {a.id: a for a in store.all(SelfAudit)}
    newer = successors(records)
    items = []
    for ev in records:
        since = _evidence_since(ev, newer.get(ev.id), today, audits)
        if since is None:
            continue
        kind = catalogue.evidence_kinds.get(ev.kind)
        years = max(MIN_YEARS, kind.retention_years if kind else MIN_YEARS)
        keep_until = shift_years(since, years)
        if keep_until < today:
            category = AUDIT_RECORD if ev.kind == "audit_record" else EVIDENCE
            items.append(
                Item(
                    category,
                    ev.id,
                    since,
                    years,
                    keep_until,
                    f"{ev.kind} {ev.state.value} {ev.subject_kind.value}:{ev.subject_id}",
                    ev.agency_id,
                    ev.vendor_id,
                    ev.sha256,
                )
            )
    return items


def successors(records: Iterable[Evidence]) -> dict[str, Evidence]:
    """For each evidence id, the next newer evidence of the same subject and kind."""
    groups: dict[tuple, list[Evidence]] = defaultdict(list)
    for ev in records:
        groups[(ev.subject_kind, ev.subject_id, ev.kind)].append(ev)
    following = {}
    for group in groups.values():
        group.sort(key=lambda e: (e.uploaded_at, e.id))
        for older, newer in zip(group, group[1:], strict=False):
            following[older.id] = newer
    return following


def currency_end(ev: Evidence, newer: Evidence | None, today: date) -> date | None:
    """The day ``ev`` stopped being current (see the module docstring); ``None`` while current or unknown."""
    if ev.state == ReviewState.REJECTED:
        return _day(ev.reviewed_at or ev.uploaded_at)
    if ev.state == ReviewState.SUPERSEDED:
        return (
            max(_day(newer.uploaded_at), _day(newer.reviewed_at or newer.uploaded_at))
            if newer
            else None
        )
    if ev.state == ReviewState.APPROVED and ev.valid_until and ev.valid_until < today:
        return ev.valid_until
    return None


def _evidence_since(ev: Evidence, newer: Evidence | None, today: date, audits: dict) -> date | None:
    """When ``ev``'s retention period starts, or ``None`` while it is kept regardless."""
    since = currency_end(ev, newer, today)
    if ev.kind != "audit_record":
        return since
    audit = audits.get(ev.subject_id)
    floor = max(_day(ev.uploaded_at), audit.closed_on if audit and audit.closed_on else date.min)
    return max(since or floor, floor)


def _day(instant: datetime) -> date:
    return clock.local_date(instant)


def activity_log_items(store, today: date, before: date | None = None) -> list[Item]:
    """One item for the leading log lines written before today − 5 years (and before ``before``).

    A line without a time goes with the one before it; an anchor is not counted.
    """
    limit = min(before or date.max, latest_allowed_before(today))
    first = last = instant = None
    count = 0
    for raw in store.log.raw_lines() if not store.memory else ():
        entry = orjson.loads(raw)
        if is_anchor(entry):
            continue
        instant = entry_instant(entry) or instant  # the same reading as ActivityLog.plan_purge
        if instant is None or clock.local_date(instant) >= limit:
            break
        first = first or entry
        last, count, since = entry, count + 1, clock.local_date(instant)
    if not count:
        return []
    return [
        Item(
            ACTIVITY_LOG,
            f"seq {first['seq']}–{last['seq']}",
            since,
            MIN_YEARS,
            shift_years(since, MIN_YEARS),
            f"{count} lines",
            count=count,
        )
    ]


def query_log_items(store, today: date, notes: list[str]) -> list[Item]:
    logs = _logstore(store)
    if logs is None:
        notes.append(
            "tracker.logstore 未安裝，未檢查查詢紀錄 (query-log store not installed; not checked)"
        )
        return []
    items = []
    for record in _expired_imports(logs, today):
        newest = record.last_queried_at or record.imported_at
        since = newest.date() if newest.tzinfo is None else clock.local_date(newest)
        items.append(
            Item(
                QUERY_LOG,
                f"{record.agency_id}/{record.sha256[:12]}",
                since,
                MIN_YEARS,
                shift_years(since, MIN_YEARS),
                f"{record.rows} rows, {record.filename or ''}".strip(", "),
                record.agency_id,
                None,
                record.sha256,
            )
        )
    return items


def _logstore(store):
    try:
        from tracker.logstore import LogStore
    except ImportError:
        return None
    if store.memory:
        return None
    return LogStore(store.root / "query-logs")


def _expired_imports(logs, today: date) -> list:
    """``LogStore.expired_imports`` as of the start of ``today``.

    Row times are naive Taipei times while ``imported_at`` may be aware; the
    naive form is tried first, then the aware one.
    """
    moment = datetime.combine(today, time.min)
    for now in (moment, moment.replace(tzinfo=clock.TAIPEI)):
        try:
            return logs.expired_imports(now)
        except TypeError:
            continue
    raise StoreError(
        "查詢紀錄的時間格式不一致，無法判斷保存期限",
        "query-log imports mix naive and aware times; retention cannot be computed",
    )


# --- purging -------------------------------------------------------------------


@dataclass(frozen=True)
class PurgeResult:
    """What a purge removed (or, for a dry run, would remove)."""

    before: date
    items: list[Item]
    files_removed: int = 0
    log_lines: int = 0
    done: bool = False


def plan_purge(store, before: date, today: date | None = None) -> PurgeResult:
    """What ``purge(store, …, before)`` would remove; changes nothing.  Raises InvalidInput for a late DATE."""
    today = today or clock.today()
    _check_before(before, today)
    items = [
        i
        for i in retention_report(store, today).items
        if i.category != ACTIVITY_LOG and i.since < before
    ]
    items += activity_log_items(store, today, before)
    return PurgeResult(
        before, items, log_lines=sum(i.count for i in items if i.category == ACTIVITY_LOG)
    )


def purge(
    store, blobs: BlobStore, before: date, *, actor: str, today: date | None = None
) -> PurgeResult:
    """Remove what is past retention and dated before ``before``; everything under the store's lock.

    Raises InvalidInput when ``before`` is later than today − 5 years (nothing
    younger than five years is ever removed) and StoreError for an in-memory
    store or a log that does not verify.
    """
    today = today or clock.today()
    _check_before(before, today)
    if store.memory:
        raise StoreError("記憶體中的資料不執行清除", "an in-memory store is not purged")
    with store.locked():
        plan = plan_purge(store, before, today)
        files = _purge_evidence(
            store, blobs, [i for i in plan.items if i.category in (EVIDENCE, AUDIT_RECORD)], actor
        )
        files += _purge_query_logs(
            store, blobs, [i for i in plan.items if i.category == QUERY_LOG], today, actor
        )
        cutoff = datetime.combine(before, time.min, clock.TAIPEI)
        purged = (
            store.log.purge_before(cutoff, actor=actor, now=clock.now()) if plan.log_lines else None
        )
    return PurgeResult(before, plan.items, files, purged.lines if purged else 0, done=True)


def _check_before(before: date, today: date) -> None:
    limit = latest_allowed_before(today)
    if before > limit:
        raise InvalidInput(
            f"--before 不得晚於 {limit.isoformat()}（今天減五年）：未滿五年的資料一律不刪除（要點 7.1）",
            f"--before must be on or before {limit.isoformat()} (today minus five years): "
            "nothing younger than five years is ever purged (point 7.1)",
        )


def _purge_evidence(store, blobs: BlobStore, items: list[Item], actor: str) -> int:
    for item in items:
        store.delete(Evidence, item.id, actor=actor, action="evidence_purged")
    return _remove_unreferenced(store, blobs, {i.sha256 for i in items if i.sha256})


def _purge_query_logs(store, blobs: BlobStore, items: list[Item], today: date, actor: str) -> int:
    if not items:
        return 0
    logs = _logstore(store)
    records = _import_records(store)
    moment = datetime.combine(today, time.min)
    for item in items:
        _delete_import(logs, item, moment)
        for record in records:
            if record.agency_id == item.agency_id and record.sha256 == item.sha256:
                store.delete(type(record), record.id, actor=actor, action="query_log_purged")
    return _remove_unreferenced(store, blobs, {i.sha256 for i in items})


def _delete_import(logs, item: Item, moment: datetime) -> None:
    for now in (moment, moment.replace(tzinfo=clock.TAIPEI)):  # see _expired_imports
        try:
            logs.delete_import(item.agency_id, item.sha256, now)
            return
        except TypeError:
            continue
    raise StoreError(
        f"無法刪除查詢紀錄 {item.id}", f"cannot delete query-log import {item.id}: mixed time zones"
    )


def _import_records(store) -> list:
    """The store's records of imported query logs (kept by :mod:`tracker.services.audits`), if that module exists."""
    try:
        from tracker.services.audits import QueryLogImport
    except ImportError:
        return []
    return store.all(QueryLogImport)


def _remove_unreferenced(store, blobs: BlobStore, candidates: set[str]) -> int:
    """Delete the evidence files among ``candidates`` that no remaining record names (any ``*sha256`` field)."""
    if not candidates:
        return 0
    still_used = _referenced_hashes(store)
    removed = 0
    for sha in sorted(candidates - still_used):
        path = blobs.path(sha)
        if path.exists():
            path.unlink()
            removed += 1
    return removed


def _referenced_hashes(store) -> set[str]:
    from tracker.codec import to_doc
    from tracker.store import COLLECTIONS

    used: set[str] = set()
    for coll in list(COLLECTIONS.values()):
        for record in store.all(coll.cls):
            for key, value in to_doc(record).items():
                if "sha256" in key and isinstance(value, str):
                    used.add(value)
    return used
