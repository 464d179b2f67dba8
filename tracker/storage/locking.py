"""The store's lock: a thread lock and the folder's file lock, re-entrant within a thread.

The file lock (``<data dir>/.lock``) is taken once, by the outermost entry; on
taking it the store first repairs what a crashed writer left and catches up
with the log (:func:`tracker.storage.recovery.on_lock`), so everything done
inside sees every acknowledged change and no other process can interleave.
"""

from __future__ import annotations

from filelock import Timeout

from tracker.core.errors import StoreError
from tracker.storage import recovery


def acquire(flock) -> None:
    """Take the file lock; StoreError when another process holds it for the lock's timeout."""
    try:
        flock.acquire()
    except Timeout as exc:
        raise StoreError(
            "資料夾忙碌中，請稍後再試", "the data folder is locked by another process"
        ) from exc


class Locked:
    """The store's lock: the thread lock, and the file lock once per outermost entry."""

    def __init__(self, store):
        self.store = store

    def __enter__(self):
        store = self.store
        store._lock.acquire()
        if store._flock is None or store._depth:
            store._depth += 1
            return store
        try:
            acquire(store._flock)
        except BaseException:
            store._lock.release()
            raise
        store._depth += 1
        try:
            recovery.on_lock(store)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return store

    def __exit__(self, *exc):
        store = self.store
        store._depth -= 1
        if store._flock is not None and store._depth == 0:
            store._flock.release()
        store._lock.release()
        return False
