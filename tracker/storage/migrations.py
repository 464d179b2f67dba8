"""Schema versions of the data folder and the steps between them.

``MIGRATIONS[n]`` upgrades an open store from schema ``n`` to ``n + 1`` in
place.  This module only knows the versions and runs the steps;
:func:`tracker.ops.upgrade.upgrade` takes the verified backup first and calls
:func:`apply_steps`.  A :class:`~tracker.storage.store.Store` refuses to open an
older folder by itself, so no step runs without that backup.

Schema 1 is the first released layout (plain TinyDB tables beside the log);
schema 2 makes the tables checkpoints of the log
(:func:`tracker.storage.schema2.tables_from_log`).  To go back after an
upgrade, restore the archive with the previous version (``python -m tracker
backup restore <archive>`` into empty folders).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson

from tracker.core.errors import StoreError
from tracker.core.fileio import atomic_write
from tracker.storage.schema2 import tables_from_log

SCHEMA_VERSION = 2
MIGRATIONS: dict[int, Callable[[object], dict | None]] = {1: tables_from_log}


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
    """Run every step from ``meta['schema']`` on ``store``; returns the new meta.

    After each step ``meta.json`` is replaced, the store re-reads the folder,
    and a ``schema_migrated`` line names ``backup_name`` (and what the step
    reports, e.g. records it corrected).  The caller holds the store's lock and
    has written the backup.
    """
    version = int(meta.get("schema", 1))
    refuse_unknown(version)
    while version < SCHEMA_VERSION:
        report = MIGRATIONS[version](store) or {}
        version += 1
        meta = dict(meta, schema=version)
        atomic_write(store.root / "meta.json", orjson.dumps(meta))
        store.adopt_meta(meta)
        store.reopen()
        store.record_event(
            actor="system",
            action="schema_migrated",
            details={"schema": version, "backup": backup_name, **report},
        )
    return meta
