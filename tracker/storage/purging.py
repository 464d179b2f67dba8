"""The retention purge of the activity log, as the store does it: a verified base snapshot first.

Once old lines are replaced by an anchor (:mod:`tracker.activitylog.purge`),
the log alone can no longer rebuild the tables.  So, under the store's lock:
the whole log is verified; the tables are rebuilt from the log and compared
with the store's records (a difference refuses the purge: ``store check``
names it); the vouching line is appended; every table is written at the log's
end and hard-linked into a base snapshot, which is read back; then the log is
rewritten and the checkpoint and base moved to the new offsets.
"""

from __future__ import annotations

from datetime import datetime

from tracker.activitylog import purge
from tracker.activitylog.chain import PURGE_ACTION
from tracker.core.errors import StoreError
from tracker.storage.checkpoint import Position, move_base, write_base, write_manifest
from tracker.storage.rebuild import replay
from tracker.storage.registry import COLLECTIONS


def purge_log(store, before: datetime, *, actor: str, now: datetime) -> purge.PurgePlan | None:
    """Replace the log lines written before ``before`` with an anchor; returns what was purged.

    Raises StoreError when the log does not verify or the tables differ from
    it (nothing is purged then).  The caller enforces the retention period.
    """
    if store.memory:
        raise StoreError("記憶體中的日誌不可清除", "an in-memory activity log is not purged")
    with store.locked():
        checked = store.log.verify()
        if not checked.ok:
            raise StoreError(
                f"操作日誌驗證失敗（第 {checked.line} 行），不執行清除",
                f"the activity log does not verify (line {checked.line}); nothing purged",
            )
        plan = purge.plan_purge(store.log, before)
        if plan is None:
            return None
        _refuse_differences(store)
        vouching = purge.vouching_entry(plan, before, actor=actor, now=now)
        store.record_event(actor=actor, action=PURGE_ACTION, details=vouching["after"])
        manifest = _checkpoint_everything(store)
        write_base(store.root, manifest)
        head = purge.rewrite_without_prefix(store.log, plan, now)
        position = Position.of(head)
        manifest.position = position
        write_manifest(store.root, manifest)
        move_base(store.root, position)
        purge.finish(store.log)
        store.reopen()
        return plan


def _refuse_differences(store) -> None:
    view = store.view
    colls = list(COLLECTIONS.values())
    rebuilt, _missing = replay(store.root, store.log, store.secrets, colls, view.end)
    for coll in colls:
        records = view.records(coll)
        mine = {rid: records.doc(rid) for rid in records.index}
        theirs = {rid: rebuilt[coll.name].doc(rid) for rid in rebuilt[coll.name].index}
        if mine != theirs:
            raise StoreError(
                f"資料表「{coll.name}」與操作日誌不符，不執行清除；請執行 python -m tracker store check",
                f"the {coll.name} tables differ from the activity log; nothing purged "
                "(run python -m tracker store check)",
            )


def _checkpoint_everything(store):
    view = store.view
    for coll in COLLECTIONS.values():
        records = view.records(coll)
        view.write_tables(records, set(records.parts), durable=True)
    view.manifest.position = view.end
    write_manifest(store.root, view.manifest)
    view.tail, view.tail_bytes = [], 0
    return view.manifest
