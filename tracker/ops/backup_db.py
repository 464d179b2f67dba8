"""Backups of a PostgreSQL deployment: the same archive, its database written out as files.

A PostgreSQL deployment keeps its records and activity log in the database and
its query logs and trust roots in the (shared) data folder.  Its archive has
the layout of :mod:`tracker.ops.backup`, so ``backup verify`` checks it the
same way, with these ``data/`` members:

    data/activity-log.jsonl         the database's log, line for line (the folder's bytes)
    data/activity-log.head.json     its head (count, seq, hash, size)
    data/database/records.jsonl     every row: collection, id, owner columns, version, seq, doc
    data/database/meta.json         the store's settings
    data/query-logs/…, data/trust/… the data folder's files (not an old folder store's)

and ``"backend": "postgresql"`` in the manifest.  The database is read in one
snapshot under the store's lock.  :func:`restore_database` puts such an
archive back: the folders as :mod:`tracker.ops.restore` does, the rows, log
and meta into an empty database (one transaction, which commits only when
every row is what the log says).
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from pathlib import Path

import orjson

from tracker.activitylog.chain import HEAD_NAME, LOG_NAME, Head
from tracker.core.errors import InvalidInput
from tracker.ops.archive import DATA

BACKEND = "postgresql"
RECORDS = f"{DATA}/database/records.jsonl"
META = f"{DATA}/database/meta.json"
FOLDERS = ("query-logs", "trust")  # what of the data folder belongs to a database deployment
DATABASE_MEMBERS = (RECORDS, META, f"{DATA}/{LOG_NAME}", f"{DATA}/{HEAD_NAME}")


def database_members(zf: zipfile.ZipFile, settings, store, add, walk, scratch: Path):
    """Write the database's members and the data folder's own files; ``(entries, head, schema, skipped)``.

    ``add(zf, path, name, compress)`` and ``walk(root, exclude=)`` are the
    backup's own (:mod:`tracker.ops.backup`); the caller holds the store's lock.
    """
    from tracker.storage.pg_admin import export_database

    records, log = scratch / "records.jsonl", scratch / "activity-log.jsonl"
    with records.open("wb") as records_out, log.open("wb") as log_out:
        head, meta, _rows = export_database(store, records_out, log_out)
    head_file = scratch / HEAD_NAME
    size = log.stat().st_size
    head_file.write_text(
        json.dumps({"count": head.count, "seq": head.seq, "hash": head.hash, "size": size})
    )
    meta_file = scratch / "meta.json"
    meta_file.write_bytes(orjson.dumps(meta))
    entries = [
        add(zf, log, f"{DATA}/{LOG_NAME}", zipfile.ZIP_DEFLATED),
        add(zf, head_file, f"{DATA}/{HEAD_NAME}", zipfile.ZIP_DEFLATED),
        add(zf, records, RECORDS, zipfile.ZIP_DEFLATED),
        add(zf, meta_file, META, zipfile.ZIP_DEFLATED),
    ]
    skipped: list[str] = []
    for folder in FOLDERS:
        files, odd = walk(settings.data_dir / folder, exclude=settings.evidence_dir)
        skipped += [f"{folder}/{name}" for name in odd]
        entries += [
            add(zf, path, f"{DATA}/{folder}/{name}", zipfile.ZIP_DEFLATED) for path, name in files
        ]
    return entries, head, int(meta.get("schema", 1)), skipped


def scratch_folder(out: Path) -> tempfile.TemporaryDirectory:
    """A private scratch folder beside the archive for the database's files (removed afterwards)."""
    return tempfile.TemporaryDirectory(prefix=f".{out.name}.", dir=out.parent)


def check_target(settings, manifest: dict) -> None:
    """InvalidInput when the archive's backend is not the one ``settings`` select."""
    database = manifest.get("backend") == BACKEND
    if database and not settings.database_url:
        raise InvalidInput(
            "這是 PostgreSQL 部署的備份：請設定 TRACKER_DATABASE_URL 指向一個空的資料庫後再還原",
            "this archive is of a PostgreSQL deployment; set TRACKER_DATABASE_URL to an empty database",
        )
    if settings.database_url and not database:
        raise InvalidInput(
            "這是資料夾的備份：請先不設 TRACKER_DATABASE_URL 還原到空的資料夾，再以 store copy 搬入資料庫",
            "this archive is of a data folder; restore it into empty folders without "
            "TRACKER_DATABASE_URL, then move it in with store copy",
        )


def folder_files(manifest: dict) -> list[dict]:
    """The archive's files that go to folders (the database's members go to the database)."""
    return [e for e in manifest["files"] if e["path"] not in DATABASE_MEMBERS]


def restore_database(zf: zipfile.ZipFile, settings, manifest: dict, check=None) -> int:
    """Load the archive's rows, log and meta into the empty database; returns the rows.

    ``check(conn)`` runs in the loading transaction once everything is loaded;
    what it raises rolls the load back (the database stays empty).
    """
    from tracker.storage.pg_admin import load_database

    recorded = manifest["activity_log"]
    head = Head(int(recorded["count"]), int(recorded["seq"]), str(recorded["hash"]))
    meta = orjson.loads(zf.read(META))
    with zf.open(RECORDS) as records, zf.open(f"{DATA}/{LOG_NAME}") as lines:
        return load_database(settings.database_url, records, lines, meta, head, check=check)
