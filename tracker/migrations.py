"""Schema migrations of the data folder.

``MIGRATIONS[n]`` upgrades a folder from schema ``n`` to ``n + 1`` in place.
:func:`migrate` runs them in order when :class:`tracker.store.Store` opens an
older folder (under the store's lock): first a full backup archive
(:func:`tracker.backup.create_backup`, verified before anything changes), then
each step, each followed by ``meta.json`` and a ``schema_migrated`` line in the
activity log naming the archive.

Schema 1 is the first released layout and still the current one, so the
registry is empty: no step exists because nothing has changed yet.  To go back
after an upgrade, restore the archive with the previous version
(``python -m tracker backup restore <archive>`` into empty folders).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from tracker import clock
from tracker.errors import StoreError
from tracker.fileio import atomic_write

if TYPE_CHECKING:
    from tracker.store import Store

MIGRATIONS: dict[int, Callable[[Store], None]] = {}


def migrate(store: Store, meta: dict) -> dict:
    """Bring ``store``'s folder from ``meta['schema']`` to the current schema; returns the new meta.

    Raises StoreError when a step is missing or the backup cannot be written
    or does not verify; the folder is then unchanged.
    """
    from tracker.store import SCHEMA_VERSION

    version = int(meta.get("schema", 1))
    if version >= SCHEMA_VERSION:
        return meta
    missing = [v for v in range(version, SCHEMA_VERSION) if v not in MIGRATIONS]
    if missing:
        raise StoreError("找不到資料結構升級步驟", f"no migration from schema {missing[0]}")
    archive = backup_before_migration(store, version)
    while version < SCHEMA_VERSION:
        MIGRATIONS[version](store)
        version += 1
        meta = dict(meta, schema=version)
        atomic_write(store.root / "meta.json", orjson.dumps(meta))
        store.log.append(
            {
                "at": clock.now().isoformat(timespec="seconds"),
                "actor": "system",
                "action": "schema_migrated",
                "collection": None,
                "record": None,
                "before": {"schema": version - 1},
                "after": {"schema": version, "backup": archive.name},
            }
        )
    return meta


def backup_before_migration(store: Store, version: int) -> Path:
    """Write and verify ``<data folder>-before-schema<N>-<time>.zip`` beside the data folder.

    The archive holds the data folder, the evidence files and the activity log
    (the same format as ``backup create``), so the previous version can restore it.
    """
    from tracker.backup import create_backup, verify_backup

    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    target = store.root.with_name(f"{store.root.name}-before-schema{version}-{stamp}.zip")
    try:
        create_backup(store.settings, target, store=store, record=False)
    except OSError as exc:
        raise StoreError(
            "升級前無法建立備份，未升級", f"cannot write the pre-migration backup {target}: {exc}"
        ) from exc
    check = verify_backup(target)
    if not check.ok:
        raise StoreError(
            "升級前的備份驗證失敗，未升級",
            f"the pre-migration backup does not verify: {check.problems[0]}",
        )
    return target
