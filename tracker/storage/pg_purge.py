"""The retention purge of a PostgreSQL store's activity log: the folder's rules, one transaction.

As in :mod:`tracker.activitylog.purge`: the log must verify first; the
leading lines written before the cut-off are planned by the same code
(``plan_purge`` over the database's lines); an ordinary chained
``activity_log_purged`` line vouching for the anchor is appended; the purged
lines are replaced by one anchor line carrying the last purged line's chain
values, so ``verify_lines`` accepts the log as it accepts a purged folder log.
Here all of it is one transaction, so there is nothing to recover after a
crash; the log's epoch moves, so every replica re-reads its cache.
"""

from __future__ import annotations

from datetime import datetime

import orjson
import psycopg

from tracker.activitylog import purge
from tracker.activitylog.purge import PurgePlan
from tracker.core.errors import StoreError
from tracker.storage import pg_lock
from tracker.storage.pg_connect import write_failed
from tracker.storage.pg_log import chain_lines, insert_lines, read_head
from tracker.storage.pg_write import conflict_of

_ANCHOR = (
    "INSERT INTO tracker.activity_log "
    "(seq, hash, prev_hash, at, actor, action, collection, record, line) "
    "VALUES (%s, %s, %s, NULL, 'system', 'activity_log_anchor', NULL, NULL, %s)"
)
_HEAD = (
    "WITH moved AS (UPDATE tracker.log_head SET "
    "count = (SELECT count(*) FROM tracker.activity_log), seq = %s, hash = %s, epoch = epoch + 1 "
    "WHERE seq = %s AND hash = %s AND epoch = %s RETURNING 1) "
    "SELECT tracker.expect(count(*) = 1, 'log') FROM moved"
)


def purge_log(store, before: datetime, *, actor: str, now: datetime) -> PurgePlan | None:
    """Replace the log lines written before ``before`` with an anchor; the plan, or ``None``.

    StoreError (nothing changed) when the log does not verify.  The caller
    enforces the retention period.
    """
    with store.locked():
        checked = store.log.verify()
        if not checked.ok:
            raise StoreError(
                f"操作日誌驗證失敗（第 {checked.line} 行），不執行清除",
                f"the activity log does not verify (line {checked.line}); nothing purged",
            )
        plan = purge.plan_purge(store.log, before)  # the folder's planning, over these lines
        if plan is None:
            return None
        vouch = purge.vouching_entry(plan, before, actor=actor, now=now)
        _commit(store, plan, vouch, purge.anchor_line(plan, now))
        return plan


def _commit(store, plan: PurgePlan, vouch: dict, anchor: dict) -> None:
    head, epoch = store.cache.head, store.cache.epoch
    lines = chain_lines([vouch], head)
    last = lines[-1][0]
    conn = store._conn
    try:
        with conn.pipeline():
            conn.execute("BEGIN")
            pg_lock.lock_transaction(conn)
            insert_lines(conn, lines)
            conn.execute("DELETE FROM tracker.activity_log WHERE seq <= %s", (plan.last_seq,))
            conn.execute(
                _ANCHOR,
                (anchor["seq"], anchor["hash"], anchor["prev_hash"], orjson.dumps(anchor).decode()),
            )
            conn.execute(_HEAD, (last["seq"], last["hash"], head.seq, head.hash, epoch))
            conn.execute("COMMIT")
    except psycopg.Error as exc:
        if not conn.broken and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.execute("ROLLBACK")
        store.cache.forget(conn)
        raise (conflict_of(exc) or write_failed(exc, store.where, conn.broken)) from exc
    # records are unchanged, so the cache stays; it takes the new head and epoch (ours: we hold the lock)
    store.cache.head, store.cache.epoch = read_head(conn)
