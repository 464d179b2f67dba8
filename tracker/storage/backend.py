"""The one place that chooses where records live: the data folder, or PostgreSQL.

``TRACKER_DATABASE_URL`` (``Settings.database_url``) set to a ``postgresql://``
URL selects :class:`~tracker.storage.postgres.PgStore`; unset, the embedded
folder store :class:`~tracker.storage.store.Store` of ``TRACKER_DATA_DIR``.
Both keep the contract the folder store's docstrings describe, and the same
test suite runs over both (``tests/backends``).  Evidence files are always in
the blob store of ``TRACKER_EVIDENCE_DIR`` (:func:`open_blobs`), which every
replica shares.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tracker.core.config import Settings
from tracker.core.errors import StoreError
from tracker.storage.blobs import BlobStore


def open_store(settings: Settings):
    """The store ``settings`` name: PostgreSQL when ``database_url`` is set, else the data folder.

    Raises StoreError when the store cannot be opened (the message says why).
    """
    if settings.database_url:
        from tracker.storage.postgres import PgStore  # psycopg only loads when asked for

        return PgStore.open(settings)
    from tracker.storage.store import Store

    return Store.open(settings)


def open_blobs(settings: Settings) -> BlobStore:
    """The evidence blob store of ``settings`` (a folder, shared by every replica)."""
    return BlobStore(settings.evidence_dir)


def backend_name(settings: Settings) -> str:
    """``"postgresql"`` or ``"folder"``: which backend ``settings`` select."""
    return "postgresql" if settings.database_url else "folder"


@contextmanager
def activity_log(settings: Settings) -> Iterator:
    """The activity log of ``settings``' store, to check (``log verify``): ``verify()``, ``holds()``.

    The folder's log is read without opening the store (nothing is repaired
    first); the database's through a store closed again afterwards.
    """
    if settings.database_url:
        from tracker.storage.postgres import PgStore

        store = PgStore.open(settings)
        try:
            yield store.log
        finally:
            store.close()
        return
    from tracker.activitylog.log import ActivityLog

    yield ActivityLog(settings.data_dir)


def require_folder(settings: Settings, what_zh: str, what_en: str) -> None:
    """StoreError when ``settings`` select PostgreSQL for something only a data folder has.

    ``log reseal`` (a head file lost) and ``store rebuild`` (tables that are
    checkpoints of the log): a database moves its head and its rows in the
    transaction of each change, so it has neither to repair.
    """
    if settings.database_url:
        raise StoreError(
            f"{what_zh}只適用於資料夾儲存；PostgreSQL 部署的鏈頭與資料列隨每筆變更在同一交易寫入，"
            "不需要這項修復（請用 store check 檢查）",
            f"{what_en} is for the data folder only: a PostgreSQL deployment writes its head and "
            "rows in the transaction of each change and has nothing of the kind to repair "
            "(check it with store check)",
        )
