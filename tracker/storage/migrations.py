"""Schema versions of the data folder and the steps between them.

``MIGRATIONS[n]`` upgrades an open store from schema ``n`` to ``n + 1`` in
place.  This module only knows the versions and runs the steps;
:func:`tracker.ops.upgrade.upgrade` takes the verified backup first and calls
:func:`apply_steps`.  A :class:`~tracker.storage.store.Store` refuses to open an
older folder by itself, so no step runs without that backup.

Schema 1 is the first released layout and still the current one, so the
registry is empty: no step exists because nothing has changed yet.  To go back
after an upgrade, restore the archive with the previous version
(``python -m tracker backup restore <archive>`` into empty folders).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson

from tracker.core import clock
from tracker.core.errors import StoreError
from tracker.core.fileio import atomic_write

SCHEMA_VERSION = 1
MIGRATIONS: dict[int, Callable[[object], None]] = {}


def folder_schema(data_dir: Path) -> int | None:
    """The schema of the folder's ``meta.json``; ``None`` for a folder without one (new).

    Raises StoreError when ``meta.json`` cannot be parsed.
    """
    path = Path(data_dir) / "meta.json"
    try:
        meta = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except orjson.JSONDecodeError as exc:
        raise StoreError("meta.json 損毀", f"meta.json is corrupt: {exc}") from exc
    return int(meta.get("schema", 1))


def refuse_unknown(version: int) -> None:
    """Raise StoreError when ``version`` is newer than this code, or a step to it is missing."""
    if version > SCHEMA_VERSION:
        raise StoreError(
            "資料夾由較新版本建立，請升級本系統",
            f"data folder has schema {version}, this version knows {SCHEMA_VERSION}",
        )
    missing = [v for v in range(version, SCHEMA_VERSION) if v not in MIGRATIONS]
    if missing:
        raise StoreError("找不到資料結構升級步驟", f"no migration from schema {missing[0]}")


def apply_steps(store, meta: dict, backup_name: str) -> dict:
    """Run every step from ``meta['schema']`` on the open ``store``; returns the new meta.

    After each step ``meta.json`` is replaced and a ``schema_migrated`` line names
    ``backup_name``.  The caller holds the store's lock and has written the backup.
    """
    version = int(meta.get("schema", 1))
    refuse_unknown(version)
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
                "after": {"schema": version, "backup": backup_name},
            }
        )
    return meta
