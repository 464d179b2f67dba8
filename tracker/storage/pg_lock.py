"""The PostgreSQL store's lock: one advisory lock key, held per session and per transaction.

``locked()`` blocks (:class:`StoreLock`) hold the process's thread lock and the
key as a session lock on one pooled connection (:func:`take`, :func:`give_back`), so a read-decide-write in one process never
interleaves with another's; each change's transaction takes the same key as a
transaction-scoped lock (granted at once to the session already holding it),
so lines are appended in order even by a writer that holds no session lock.
Waiting is bounded by the connection's ``lock_timeout`` (30 s).
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg_pool import PoolTimeout

from tracker.core.errors import StoreError
from tracker.storage import pg_recovery
from tracker.storage.pg_connect import unreachable
from tracker.storage.pg_log import HEAD_QUERY, head_of

LOCK_KEY = 7_270_111_401


def take(pool, where: str) -> tuple[psycopg.Connection, tuple]:
    """A pooled connection holding the session lock, and the log head read once it was granted.

    Both go in one round trip (a pipeline: the head's query starts only after
    the lock is granted, so it sees every change committed before).  StoreError
    when no lock is granted in time.
    """
    try:
        conn = pool.getconn()
    except PoolTimeout as exc:
        raise StoreError(f"無法連線資料庫 {where}", f"no database connection: {exc}") from exc
    try:
        with conn.pipeline():
            conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
            head = conn.execute(HEAD_QUERY)
        return conn, head_of(head.fetchone())
    except psycopg.errors.LockNotAvailable as exc:
        pool.putconn(conn)
        raise StoreError(
            "資料庫忙碌中（另一個程序正在寫入），請稍後再試",
            "the database is locked by another process; try again later",
        ) from exc
    except BaseException:
        pool.putconn(conn)
        raise


def give_back(pool, conn: psycopg.Connection) -> None:
    """Release the session lock and return the connection to the pool."""
    try:
        conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    except psycopg.Error:
        conn.close()  # a closed session releases its locks; the pool discards the connection
    pool.putconn(conn)


def lock_transaction(conn: psycopg.Connection) -> None:
    """Take the key for the rest of the caller's transaction."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))


@dataclass
class Borrowed:
    """The locked connection, used like a pool's ``with pool.connection()``."""

    conn: psycopg.Connection

    def __enter__(self) -> psycopg.Connection:
        return self.conn

    def __exit__(self, *exc) -> bool:
        return False


class StoreLock:
    """``with StoreLock(store):`` the store's thread lock, and the advisory lock once per outermost entry.

    On the outermost entry the store catches up with what other processes
    committed, and notes which records they changed (its ``stale`` reads).
    On the last exit the advisory lock is released by the store's releasing
    thread (``store._releaser``), so the caller does not wait for it.
    """

    def __init__(self, store):
        self.store = store

    def __enter__(self):
        store = self.store
        store._lock.acquire()
        if store._depth:
            store._depth += 1
            return store
        try:
            store._conn, current = take(store._pool, store.where)
            store._depth = 1
            store.stale.start(store.cache.catch_up(store._conn, current))
            pg_recovery.recover_if_due(store)
        except BaseException as exc:
            self._leave()
            if isinstance(exc, psycopg.OperationalError):
                raise unreachable(exc, store.where) from exc
            raise
        return store

    def __exit__(self, *exc) -> bool:
        self.store._depth -= 1
        if self.store._depth == 0:
            self._leave()
        else:
            self.store._lock.release()
        return False

    def _leave(self) -> None:
        store = self.store
        conn, store._conn, store._depth = store._conn, None, 0
        store.stale.start({})
        try:
            if conn is not None:
                # the unlock's round trip is not the caller's to wait for: the store's own
                # thread sends it (a later entry here or elsewhere waits for it as for any holder)
                store._releaser.submit(give_back, store._pool, conn)
        finally:
            store._lock.release()
