"""Schema migrations of the data folder.

``MIGRATIONS[n]`` upgrades a folder from schema ``n`` to ``n + 1`` in place.
:func:`migrate` runs them in order when :class:`tracker.store.Store` opens an
older folder, after taking a backup of it, and records each step in the
activity log.  Schema 1 is the first released layout.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import orjson

from tracker.fileio import atomic_write

if TYPE_CHECKING:
    from tracker.store import Store

MIGRATIONS: dict[int, Callable[[Store], None]] = {}


def migrate(store: Store, meta: dict) -> dict:
    """Bring ``store``'s folder from ``meta['schema']`` to the current schema; returns the new meta."""
    from tracker.store import SCHEMA_VERSION

    version = int(meta.get("schema", 1))
    if version < SCHEMA_VERSION:
        _backup_before_migration(store, version)
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise RuntimeError(f"no migration from schema {version}")
        step(store)
        version += 1
        meta = dict(meta, schema=version)
        atomic_write(store.root / "meta.json", orjson.dumps(meta))
        store.log.append(
            {
                "at": None,
                "actor": "system",
                "action": "schema_migrated",
                "collection": None,
                "record": None,
                "before": {"schema": version - 1},
                "after": {"schema": version},
            }
        )
    return meta


def _backup_before_migration(store: Store, version: int) -> None:
    """Copy the data folder aside before changing it (``<data>-backup-schema<N>``)."""
    import shutil

    target = store.root.with_name(f"{store.root.name}-backup-schema{version}")
    if not target.exists():
        shutil.copytree(store.root, target, ignore=shutil.ignore_patterns(".lock"))
