"""Retention (points 6.2, 7.1, 7.2): what is past its keeping period, and purging it.

The rules, as read here, and the report of what is past retention are in
:mod:`tracker.ops.retention_report`; this module purges.

``purge --before DATE`` removes only what is past retention *and* whose
``since`` is before DATE, and refuses a DATE later than today − 5 years: no
category is kept less than five years, so a later DATE could only ask for
younger records.  Evidence records are deleted through the store (each deletion
is logged with the record), their files only when no remaining record refers to
the same SHA-256; query-log imports through the log store's API; the activity
log last, by :meth:`tracker.storage.store.Store.purge_log_before` (a verified base
snapshot of the tables, then the anchor line).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from tracker.core import clock
from tracker.core.errors import InvalidInput, StoreError
from tracker.domain.evidence import Evidence
from tracker.ops.retention_report import (
    ACTIVITY_LOG,
    AUDIT_RECORD,
    EVIDENCE,
    QUERY_LOG,
    Item,
    activity_log_items,
    latest_allowed_before,
    query_log_store,
    retention_report,
)
from tracker.storage.blobs import BlobStore

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
            store.purge_log_before(cutoff, actor=actor, now=clock.now()) if plan.log_lines else None
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
    logs = query_log_store(store)
    records = _import_records(store)
    moment = datetime.combine(today, time.min, clock.TAIPEI)
    for item in items:
        _delete_import(logs, item, moment)
        for record in records:
            if record.agency_id == item.agency_id and record.sha256 == item.sha256:
                store.delete(type(record), record.id, actor=actor, action="query_log_purged")
    return _remove_unreferenced(store, blobs, {i.sha256 for i in items})


def _delete_import(logs, item: Item, moment: datetime) -> None:
    logs.delete_import(item.agency_id, item.sha256, moment)


def _import_records(store) -> list:
    """The store's records of imported query logs (kept by :mod:`tracker.services.audits`), if that module exists."""
    try:
        from tracker.domain.audits import QueryLogImport
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
    from tracker.storage.codec import to_doc
    from tracker.storage.registry import COLLECTIONS

    used: set[str] = set()
    for coll in list(COLLECTIONS.values()):
        for record in store.all(coll.cls):
            for key, value in to_doc(record).items():
                if "sha256" in key and isinstance(value, str):
                    used.add(value)
    return used
