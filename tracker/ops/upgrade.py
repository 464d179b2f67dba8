"""Upgrading a data folder of an older schema: a verified backup first, then each step.

The CLI and the web app call :func:`upgrade` before opening the store, so a
folder left by the previous version is upgraded on first use, as before; the
store itself refuses an older folder (see :mod:`tracker.storage.migrations`).
"""

from __future__ import annotations

from pathlib import Path

from tracker.core import clock
from tracker.core.config import Settings
from tracker.core.errors import StoreError
from tracker.ops.backup import create_backup
from tracker.ops.backupkey import backup_key
from tracker.ops.verify import verify_backup
from tracker.storage import migrations
from tracker.storage.store import Store


def upgrade(settings: Settings) -> Path | None:
    """Bring the data folder to the current schema; the archive written first, or ``None``.

    Nothing happens (``None``) for a new or current folder, or when records
    are kept in PostgreSQL (its schema is upgraded by ``store migrate``).
    Raises StoreError when a step is missing, the folder is newer than this
    code, or the backup cannot be written or does not verify; the folder is
    then unchanged.
    """
    if settings.database_url:
        return None
    version = migrations.folder_schema(settings.data_dir)
    if version is None or version == migrations.SCHEMA_VERSION:
        return None
    migrations.refuse_unknown(version)
    store = Store(settings, upgrading=True)
    with store.locked():
        archive = backup_before_migration(store, version)
        store.adopt_meta(migrations.apply_steps(store, store.meta, archive.name))
    return archive


def backup_before_migration(store: Store, version: int) -> Path:
    """Write and verify ``<data folder>-before-schema<N>-<time>.zip`` beside the data folder.

    The archive holds the data folder, the evidence files and the activity log
    (the same format as ``backup create``), so the previous version can restore it.
    """
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    target = store.root.with_name(f"{store.root.name}-before-schema{version}-{stamp}.zip")
    try:
        create_backup(store.settings, target, store=store, record=False)
    except OSError as exc:
        raise StoreError(
            "升級前無法建立備份，未升級", f"cannot write the pre-migration backup {target}: {exc}"
        ) from exc
    check = verify_backup(target, backup_key(store.settings))
    if not check.ok:
        raise StoreError(
            "升級前的備份驗證失敗，未升級",
            f"the pre-migration backup does not verify: {check.problems[0]}",
        )
    return target
