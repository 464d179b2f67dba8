"""The store's lock: a thread lock and the cross-process file lock of the data folder, taken together."""

from __future__ import annotations

from filelock import Timeout

from tracker.core.errors import StoreError


class StoreLock:
    """``with StoreLock(store):`` holds the store's thread lock, then its folder's file lock.

    On entry the store catches up with what other processes wrote; a file lock
    not granted within the store's timeout raises StoreError and holds nothing.
    """

    def __init__(self, store):
        self.store = store

    def __enter__(self):
        self.store._lock.acquire()
        if self.store._flock is not None:
            try:
                self.store._flock.acquire()
            except Timeout as exc:
                self.store._lock.release()
                raise StoreError(
                    "資料夾忙碌中，請稍後再試", "the data folder is locked by another process"
                ) from exc
            self.store._refresh()
        return self.store

    def __exit__(self, *exc):
        if self.store._flock is not None:
            self.store._flock.release()
        self.store._lock.release()
        return False
