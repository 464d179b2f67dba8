"""Opening a data folder: what a crash left is repaired and logged, what tampering left is refused.

Repaired by the store itself, each logged as a recovery (an activity-log line
and an entry in ``meta.json`` that ``status`` and the IT office see):

* a torn last log line past the head (an append the crash cut short): cut;
* whole lines past the head that chain on (durable, the head not yet moved):
  the head moves over them;
* a purge interrupted after replacing the log: its head completed;
* a missing, truncated or edited table file: rebuilt from the log;
* an open transaction's files (:mod:`tracker.storage.staging`): removed, or
  completed when its log line was written;
* temporary files of interrupted writes: removed.

Refused (:class:`~tracker.core.errors.IntegrityError`, one line naming the
problem and the command to run): a missing or unreadable head, a log shorter
than its head or than the checkpoint, a last line that differs from the head,
lines that do not chain.
"""

from __future__ import annotations

import orjson

from tracker.activitylog import purge
from tracker.activitylog.log import EMPTY, refusal
from tracker.core import clock
from tracker.core.errors import StoreError
from tracker.core.fileio import atomic_write, sweep_temporary
from tracker.storage import migrations, staging
from tracker.storage.checkpoint import (
    Damaged,
    Position,
    move_base,
    read_manifest,
    remove_stale_bases,
    table_names,
    write_manifest,
)
from tracker.storage.rebuild import rebuild_all, replay
from tracker.storage.tables import Partition


def open_meta(store, upgrading: bool) -> dict:
    """``meta.json`` (a new folder gets one, and an empty head); refuses an older schema unless upgrading."""
    path = store.root / "meta.json"
    version = migrations.folder_schema(store.root)
    if version is None:
        meta = {
            "schema": migrations.SCHEMA_VERSION,
            "created": clock.now().isoformat(),
            "demo": False,
        }
        if not store.log.path.exists() and not store.log.head_path.exists():
            store.log.write_head(EMPTY)
        atomic_write(path, orjson.dumps(meta))
        return meta
    migrations.refuse_unknown(version)
    if version < migrations.SCHEMA_VERSION and not upgrading:
        raise StoreError(
            "資料夾的資料結構較舊，請先執行 python -m tracker store migrate",
            f"data folder has schema {version}; run python -m tracker store migrate",
        )
    return orjson.loads(path.read_bytes())


def open_folder(store) -> None:
    """Check the folder against its log and read it into ``store.view``; the caller holds the lock."""
    log = store.log
    purged = purge.recover_interrupted_purge(log)
    head = log.head()
    if head.size is None:
        raise StoreError(
            "操作日誌鏈頭缺少大小欄位，請先執行 python -m tracker store migrate",
            "the activity-log head has no size; run python -m tracker store migrate",
        )
    tail = log.recover_tail(head)
    if tail:
        head = log.head()
    log.check_end(head)
    if purged is not None:
        _after_purge(store, Position.of(head))
    _rebuild_without_manifest(store, Position.of(head))
    store.view.open(Position.of(head))
    store._opened = True
    sweep(store)
    if tail:
        store.note_recovery("log_tail_recovered", _tail_details(tail))
    staging.recover(store)


def on_lock(store) -> None:
    """On taking the file lock: repair what a crashed writer left, catch up, finish open transactions."""
    view, log = store.view, store.log
    if not store._opened:
        return  # an older schema being migrated: the folder is read once the step is done
    if view.replaced():
        open_folder(store)
        return
    identity = log.identity()
    if identity != view.seen:
        head = log.head()
        tail = log.recover_tail(head) if identity[1] != head.size else None
        view.catch_up()
        if tail:
            store.note_recovery("log_tail_recovered", _tail_details(tail))
    staging.recover(store)


def sweep(store) -> int:
    """Remove temporary files of interrupted writes in the folders the store writes."""
    root = store.root
    folders = [root, root / "tables", root / "query-logs", staging.pending_folder(store)]
    folders += [p for p in (root / "tables").glob("*") if p.is_dir()]
    folders += [p for p in (root / "query-logs").glob("*") if p.is_dir()]
    if store.settings is not None:
        folders.append(store.settings.evidence_dir / ".staging")
    remove_stale_bases(root)
    return sum(sweep_temporary(folder) for folder in folders)


def repair_tables(store, coll, records, damaged: list[tuple[str, str]]) -> None:
    """Rebuild the damaged partitions of ``records`` from the log, write them, log the recovery."""
    view = store.view
    rebuilt, missing = replay(store.root, store.log, store.secrets, [coll], view.end)
    fresh = rebuilt[coll.name]
    for part_name, _reason in damaged:
        records.parts[part_name] = fresh.parts.get(part_name) or Partition()
        for record_id, name in list(records.index.items()):
            if name == part_name:
                del records.index[record_id]
        for record_id in records.parts[part_name].docs:
            records.index[record_id] = part_name
    parts = {part for part, _ in damaged}
    view.write_tables(records, parts, durable=store.durable)
    write_manifest(store.root, view.manifest, durable=store.durable)
    details = {
        "collection": coll.name,
        "tables": [{"partition": part, "reason": reason} for part, reason in damaged],
    }
    if missing:
        details["values_not_restored"] = missing
    store.note_recovery("store_table_rebuilt", details)


def _rebuild_without_manifest(store, end: Position) -> None:
    """A folder with tables but no ``checkpoint.json``: every table is rebuilt from the log (logged)."""
    try:
        manifest = read_manifest(store.root)
    except Damaged as exc:
        raise refusal(f"檢查點清單 checkpoint.json 無法讀取（{exc.reason}）", exc.reason) from None
    if manifest is not None or not table_names(store.root):
        return
    missing = rebuild_all(store, end)
    store.view.open(end)
    details = {"reason": "checkpoint.json missing"}
    if missing:
        details["values_not_restored"] = missing
    store.note_recovery("store_tables_rebuilt", details)


def _after_purge(store, position: Position) -> None:
    """A purge replaced the log and crashed before moving the checkpoint's offset: move it."""
    manifest = read_manifest(store.root)
    if manifest is not None and manifest.position.seq == position.seq:
        manifest.position = position
        write_manifest(store.root, manifest)
    move_base(store.root, position)
    purge.finish(store.log)


def _tail_details(tail) -> dict:
    return {
        "lines_recovered": tail.lines,
        "first_seq": tail.first_seq,
        "last_seq": tail.last_seq,
        "torn_bytes_cut": tail.cut_bytes,
    }
