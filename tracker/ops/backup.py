"""Backups of the data folder, the evidence files and the activity log as one verifiable ZIP.

Archive layout::

    data/<path>      every file of the data folder (tables, meta.json, .seq, the
                     activity log and its head, query-logs/…), except lock files
                     and the temporary files of interrupted atomic writes
    evidence/<path>  every evidence file (``<aa>/<sha256>``, write-once)
    manifest.json    written last: format, created, schema, backend, the activity
                     log's head, every other member's path, size and SHA-256, and
                     ``hmac``: HMAC-SHA256 of the rest of the manifest under the
                     installation's backup key (:mod:`tracker.ops.backupkey`), so
                     an archive edited and re-hashed elsewhere is refused (an
                     older version ignores the field and can still restore it)

A PostgreSQL deployment's archive has the same layout, its database written
out as ``data/`` members (:mod:`tracker.ops.backup_db`), and is signed with the
same key.

The archive is written to a fresh temporary file (``mkstemp``: created
exclusively, mode 0600, never through a symlink) beside the target and linked
to its name only when complete; an existing name, even a symlink, is refused.

Why ZIP rather than tar.gz: each member is compressed and CRC-checked on its
own, so a damaged byte spoils one named member instead of everything after it
in a gzip stream, and :func:`verify_backup` can report every bad file, one line
each; members can be read in any order (the manifest first); and the auditor's
package is a ZIP too, so operators meet one format.  JSON is deflated, evidence
(PDF, XLSX: already compressed) is stored as is.

Consistency while the app runs: the data folder (and the query-log store, under
its own lock) is read while holding ``store.locked()``, so no write lands half
way; the list of evidence files is taken under the same lock and the files are
read after releasing it, which is safe because they are content-addressed and
never rewritten.  A file that vanished meanwhile (a retention purge) fails the
backup with a message rather than producing an inconsistent archive.

The archive is untrusted input on the way back: :func:`verify_backup` and
:func:`restore_backup` accept only regular-file members with relative,
normalised names under ``data/`` or ``evidence/`` (no ``..``, no absolute path,
no backslash, no symlink or device entry, no duplicate), read each member no
further than the size the manifest gives it, and restore only what verified,
into folders that are missing or empty, through a staging folder moved into
place at the end.

This module is the front door and writes the archive; the rest is split by
concept: :mod:`tracker.ops.archive` (names, version, the member-name rule),
:mod:`tracker.ops.verify` (verifying) and :mod:`tracker.ops.restore` (restoring).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
import time
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tracker import __version__
from tracker.activitylog.chain import Head
from tracker.core import clock
from tracker.core.config import Settings
from tracker.core.errors import InvalidInput, StoreError
from tracker.core.fileio import fsync_dir, is_temporary
from tracker.ops import backup_db
from tracker.ops.archive import (
    CHUNK,
    DATA,
    EVIDENCE,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    name_problem,
)
from tracker.ops.backupkey import backup_key, manifest_mac


@dataclass(frozen=True)
class BackupSummary:
    """What :func:`create_backup` wrote."""

    path: Path
    files: int
    bytes: int
    schema: int
    head: Head
    created: str
    seconds: float
    skipped: tuple[str, ...] = ()


# --- creating ----------------------------------------------------------------


def create_backup(
    settings: Settings, out: Path, *, store=None, actor: str = "system", record: bool = True
) -> BackupSummary:
    """Write one archive of the data and evidence folders to ``out`` (refused if it exists).

    ``store`` is the process's open store (one is opened when ``None``).  The
    archive (mode 0600) is written to a fresh temporary file and linked to
    ``out`` when complete; with ``record`` the backup is noted in the activity
    log afterwards (so the note itself is not in the archive).  The backup key
    is created on first use.  Raises InvalidInput for an existing ``out``
    (a symlink too) and StoreError when a file or the key cannot be read.
    """
    from tracker.storage.backend import open_store

    started = time.monotonic()
    out = Path(out)
    if os.path.lexists(out):
        raise InvalidInput(f"檔案已存在：{out}", f"{out} already exists; choose a new name")
    key = backup_key(settings, create=True)
    store = store if store is not None else open_store(settings)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w+b") as file:
            with zipfile.ZipFile(file, "w", allowZip64=True) as zf:
                summary = _write_archive(zf, settings, store, key, out)
            file.flush()
            os.fsync(file.fileno())
        _link_new(tmp, out)
        fsync_dir(out.parent)
    finally:
        tmp.unlink(missing_ok=True)
    summary = _with_time(summary, out, time.monotonic() - started)
    if record:
        store.record_event(
            actor=actor,
            action="backup_created",
            details={
                "file": out.name,
                "files": summary.files,
                "bytes": summary.bytes,
                "log_seq": summary.head.seq,
                "log_hash": summary.head.hash,
            },
        )
    return summary


def _link_new(tmp: Path, out: Path) -> None:
    """Give the finished archive its name, refusing a name that appeared meanwhile."""
    try:
        os.link(tmp, out, follow_symlinks=False)
    except FileExistsError:
        raise InvalidInput(
            f"檔案已存在：{out}", f"{out} already exists; choose a new name"
        ) from None


def _write_archive(
    zf: zipfile.ZipFile, settings: Settings, store, key: bytes, out: Path
) -> BackupSummary:
    entries: list[dict] = []
    scratch = backup_db.scratch_folder(out) if settings.database_url else contextlib.nullcontext()
    with store.locked(), _query_log_lock(settings.data_dir), scratch as tmp:
        if settings.database_url:  # the database written out as files (tracker.ops.backup_db)
            entries, head, schema, skipped = backup_db.database_members(
                zf, settings, store, _add, _walk, Path(tmp)
            )
        else:
            store.checkpoint()  # the tables as of the head, so a restore need not replay the log
            head = store.log.head()
            schema = _schema_of(settings.data_dir)
            data_files, skipped = _walk(settings.data_dir, exclude=settings.evidence_dir)
            for path, name in data_files:
                entries.append(_add(zf, path, f"{DATA}/{name}", zipfile.ZIP_DEFLATED))
        evidence_files, skipped_ev = _walk(settings.evidence_dir, exclude=settings.data_dir)
    for path, name in evidence_files:
        if not path.exists():
            raise StoreError(
                f"佐證檔案在備份期間消失：{name}，請重新執行備份",
                f"evidence file {name} vanished during the backup (a purge?); run it again",
            )
        entries.append(_add(zf, path, f"{EVIDENCE}/{name}", zipfile.ZIP_STORED))
    created = clock.now().isoformat(timespec="seconds")
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": created,
        "app_version": __version__,
        "schema": schema,
        "backend": backup_db.BACKEND if settings.database_url else "folder",
        "activity_log": {"count": head.count, "seq": head.seq, "hash": head.hash},
        "source": {"data_dir": str(settings.data_dir), "evidence_dir": str(settings.evidence_dir)},
        "files": entries,
        "totals": {"files": len(entries), "bytes": sum(e["size"] for e in entries)},
    }
    manifest["hmac"] = manifest_mac(key, manifest)
    zf.writestr(
        _member(MANIFEST, time.time()),
        json.dumps(manifest, ensure_ascii=False, indent=1),
        compress_type=zipfile.ZIP_DEFLATED,
    )
    return BackupSummary(
        Path(),  # the caller names it
        len(entries),
        manifest["totals"]["bytes"],
        schema,
        head,
        created,
        0.0,
        tuple(skipped + skipped_ev),
    )


def _walk(root: Path, *, exclude: Path) -> tuple[list[tuple[Path, str]], list[str]]:
    """Regular files under ``root`` as (path, relative posix name); symlinks and odd names are skipped."""
    files, skipped = [], []
    if not root.is_dir():
        return files, skipped
    exclude = exclude.resolve()
    for folder, dirs, names in os.walk(root, followlinks=False):
        here = Path(folder)
        dirs[:] = sorted(
            d for d in dirs if (here / d).resolve() != exclude and not (here / d).is_symlink()
        )
        for name in sorted(names):
            path = here / name
            rel = path.relative_to(root).as_posix()
            if _is_transient(name):
                continue
            if path.is_symlink() or not path.is_file() or name_problem(rel):
                skipped.append(rel)
                continue
            files.append((path, rel))
    return files, skipped


def _is_transient(name: str) -> bool:
    """Lock files and the temporary files of atomic writes are never part of a backup."""
    return name == ".lock" or is_temporary(name)


def _add(zf: zipfile.ZipFile, path: Path, name: str, compress: int) -> dict:
    digest, size = hashlib.sha256(), 0
    try:
        with path.open("rb") as src:
            info = _member(name, os.fstat(src.fileno()).st_mtime)
            info.compress_type = compress
            with zf.open(info, "w", force_zip64=True) as dst:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    dst.write(chunk)
    except OSError as exc:
        raise StoreError(f"無法讀取 {name}", f"cannot read {name}: {exc}") from exc
    return {"path": name, "size": size, "sha256": digest.hexdigest()}


def _member(name: str, mtime: float) -> zipfile.ZipInfo:
    stamp = time.localtime(max(mtime, 315532800 + 86400))  # ZIP cannot date before 1980
    info = zipfile.ZipInfo(name, date_time=stamp[:6])
    info.external_attr = (stat.S_IFREG | 0o640) << 16
    info.create_system = 3  # unix, so the mode above is read back as a regular file
    return info


def _schema_of(data_dir: Path) -> int:
    try:
        return int(
            json.loads((data_dir / "meta.json").read_text(encoding="utf-8")).get("schema", 1)
        )
    except (OSError, ValueError, AttributeError):
        return 0


def _query_log_lock(data_dir: Path):
    """The query-log store's own write lock (``LogStore.locked``) when that store exists.

    tracker.querylog.store writes under its lock, not the store's; taking it too
    keeps an import or a purge from landing half way through the backup.
    """
    folder = data_dir / "query-logs"
    if not folder.is_dir():
        return contextlib.nullcontext()
    from tracker.querylog.store import LogStore

    return LogStore(folder).locked()


def _with_time(summary: BackupSummary, out: Path, seconds: float) -> BackupSummary:
    from dataclasses import replace

    return replace(summary, path=out, seconds=round(seconds, 3))


def default_name(now: datetime | None = None) -> str:
    """``tracker-backup-YYYYMMDD-HHMMSS.zip`` in Taipei time."""
    return f"tracker-backup-{(now or clock.now()):%Y%m%d-%H%M%S}.zip"
