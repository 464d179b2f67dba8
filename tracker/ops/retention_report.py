"""What is past its retention period (points 6.2, 7.1, 7.2): the rules and the report.

The rules, as read here ("today" is the Taipei calendar day; N years are
calendar years, 29 February counting as 28 February in a common year; a record
is *past retention* when ``since + N years`` is before today, so the last day
of the period is still kept):

* activity log line — N = 5 (7.1 "至少五年"), ``since`` = the day it was written;
* query-log import — N = 5 (7.1), ``since`` = its newest row (the log store's
  own rule, :func:`tracker.querylog.store.LogStore.expired_imports`);
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

Purging what this module reports is :mod:`tracker.ops.retention`'s.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time

import orjson

from tracker.activitylog.chain import entry_instant, is_anchor
from tracker.compliance.catalogue import Catalogue
from tracker.compliance.loader import default_catalogue
from tracker.core import clock
from tracker.domain.audits import SelfAudit
from tracker.domain.enums import ReviewState
from tracker.domain.evidence import Evidence

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
    logs = query_log_store(store)
    if logs is None:
        notes.append(
            "tracker.querylog.store 未安裝，未檢查查詢紀錄 (query-log store not installed; not checked)"
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


def query_log_store(store):
    """The store's query-log store; ``None`` in memory or when tracker.querylog.store is missing."""
    try:
        from tracker.querylog.store import LogStore
    except ImportError:
        return None
    if store.memory:
        return None
    return LogStore(store.root / "query-logs")


def _expired_imports(logs, today: date) -> list:
    """``LogStore.expired_imports`` as of the start of ``today`` in Taipei (the log store keeps aware times)."""
    return logs.expired_imports(datetime.combine(today, time.min, clock.TAIPEI))
