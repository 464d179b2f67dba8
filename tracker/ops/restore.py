"""Restoring a backup archive: only what verified, into folders that are missing or empty.

The archive must verify under the installation's backup key
(:mod:`tracker.ops.backupkey`).  Files go to a staging folder moved into place
at the end; then the restored tables are checked against the restored
activity log (:func:`tracker.ops.verify.tables_against_log`), and a folder
whose records the log does not account for is taken away again.  A PostgreSQL
deployment's rows are compared with its log inside the transaction that loads
them (:func:`tracker.storage.pg_check.rows_against_log`), so a disagreeing
archive never commits.  A failure leaves the targets as they were.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tracker.core.config import Settings
from tracker.core.errors import InvalidInput, StoreError
from tracker.core.fileio import fsync_dir
from tracker.ops import backup_db
from tracker.ops.archive import CHUNK, DATA, EVIDENCE
from tracker.ops.backupkey import existing_backup_key
from tracker.ops.verify import damaged_tables, tables_against_log, verify_backup


class BackupInvalid(InvalidInput):
    """The archive did not verify; ``problems`` names every fault, one line each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(
            f"備份檔驗證失敗（{len(problems)} 項），未還原任何資料",
            f"the archive did not verify ({len(problems)} problems); nothing restored",
        )


@dataclass(frozen=True)
class RestoreSummary:
    files: int
    bytes: int
    schema: int
    created: str
    data_dir: Path
    evidence_dir: Path


def restore_backup(path: Path, settings: Settings, *, actor: str = "system") -> RestoreSummary:
    """Verify ``path``, then restore it into ``settings``' data and evidence folders.

    Each folder must be missing or empty.  Files go to a staging folder first
    and are moved into place only when every one was written and re-checked;
    then every record is checked against the restored activity log.  A failure
    leaves the targets as they were (missing or empty).  The restore is then
    noted in the restored activity log.  Raises :class:`BackupInvalid` (with
    every problem) when the archive does not verify under the backup key or its
    tables disagree with its log, InvalidInput for a target that holds files or
    an archive of a newer schema, StoreError when the backup key cannot be read.
    A PostgreSQL deployment's archive goes back into an empty database as well
    (:mod:`tracker.ops.backup_db`), its rows checked against its log before the
    load commits; an archive of the other backend is refused.
    """
    from tracker.storage.migrations import SCHEMA_VERSION
    from tracker.storage.store import Store

    targets = {DATA: Path(settings.data_dir), EVIDENCE: Path(settings.evidence_dir)}
    for target in targets.values():
        _require_empty(target)
    check = verify_backup(path, existing_backup_key(settings))
    if not check.ok:
        raise BackupInvalid(check.problems)
    manifest = check.manifest
    backup_db.check_target(settings, manifest)
    if settings.database_url:
        return _restore_with_database(path, settings, manifest, targets, actor)
    if int(manifest.get("schema", 1)) > SCHEMA_VERSION:
        raise InvalidInput(
            "此備份由較新版本建立，請先升級本系統再還原",
            f"the archive has schema {manifest['schema']}; this version knows {SCHEMA_VERSION}",
        )
    order = sorted(
        targets, key=lambda k: len(targets[k].parts)
    )  # a folder inside the other goes second
    placed: list[tuple[Path, bool]] = []
    try:
        with zipfile.ZipFile(path) as zf:
            for top in order:
                files = [e for e in manifest["files"] if e["path"].split("/", 1)[0] == top]
                placed.append((targets[top], targets[top].is_dir()))
                _restore_tree(zf, files, top, targets[top])
        if int(manifest.get("schema", 1)) == SCHEMA_VERSION:  # an older one is migrated first
            problems = damaged_tables(settings.data_dir) or tables_against_log(Store.open(settings))
            if problems:
                raise BackupInvalid(problems)
    except BaseException:
        _undo(placed)  # both folders were missing or empty: put them back that way
        raise
    store = _opened(settings, Path(path).name)
    store.record_event(
        actor=actor,
        action="backup_restored",
        details={
            "file": Path(path).name,
            "created": manifest.get("created"),
            "files": len(manifest["files"]),
        },
    )
    totals = manifest.get("totals", {})
    return RestoreSummary(
        len(manifest["files"]),
        int(totals.get("bytes", 0)),
        int(manifest.get("schema", 1)),
        str(manifest.get("created")),
        targets[DATA],
        targets[EVIDENCE],
    )


def _restore_with_database(path, settings: Settings, manifest: dict, targets: dict, actor: str):
    """A PostgreSQL deployment's archive: its folders restored, then its database (empty before)."""
    from tracker.storage.backend import open_store

    files = backup_db.folder_files(manifest)
    placed: list[tuple[Path, bool]] = []
    try:
        with zipfile.ZipFile(path) as zf:
            for top in sorted(targets, key=lambda k: len(targets[k].parts)):
                placed.append((targets[top], targets[top].is_dir()))
                mine = [e for e in files if e["path"].split("/", 1)[0] == top]
                _restore_tree(zf, mine, top, targets[top])
            backup_db.restore_database(zf, settings, manifest, check=_refuse_unlogged_rows)
    except BaseException:
        _undo(placed)
        raise
    store = open_store(settings)
    details = {"file": Path(path).name, "created": manifest.get("created"), "files": len(files)}
    store.record_event(actor=actor, action="backup_restored", details=details)
    totals = manifest.get("totals", {})
    return RestoreSummary(
        len(manifest["files"]),
        int(totals.get("bytes", 0)),
        int(manifest.get("schema", 1)),
        str(manifest.get("created")),
        targets[DATA],
        targets[EVIDENCE],
    )


def _refuse_unlogged_rows(conn) -> None:
    """BackupInvalid, rolling the load back, when the loaded rows are not what the loaded log says."""
    from tracker.storage.pg_check import rows_against_log

    problems = [difference.line() for difference in rows_against_log(conn)]
    if problems:
        raise BackupInvalid(problems)


def _opened(settings: Settings, archive_name: str):
    """The restored folder's store, an older schema first migrated (the archive is its backup)."""
    from tracker.storage import migrations
    from tracker.storage.store import Store

    store = Store(settings, upgrading=True)
    if store.meta["schema"] < migrations.SCHEMA_VERSION:
        with store.locked():
            store.adopt_meta(migrations.apply_steps(store, store.meta, archive_name))
    return store


def _undo(placed: list[tuple[Path, bool]]) -> None:
    """Empty (or remove, if it did not exist) each folder a failed restore wrote into."""
    for target, existed in reversed(placed):
        if not target.is_dir():
            continue
        if existed:
            for child in target.iterdir():
                shutil.rmtree(
                    child
                ) if child.is_dir() and not child.is_symlink() else child.unlink()
        else:
            shutil.rmtree(target, ignore_errors=True)


def _require_empty(target: Path) -> None:
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise InvalidInput(
            f"還原目的地不是資料夾：{target}", f"restore target is not a folder: {target}"
        )
    if target.is_dir() and any(target.iterdir()):
        raise InvalidInput(
            f"還原目的地資料夾不是空的，拒絕覆寫：{target}",
            f"restore target {target} is not empty; restore only into a missing or empty folder",
        )


def _restore_tree(zf: zipfile.ZipFile, files: list[dict], top: str, target: Path) -> None:
    """Write ``files`` (archive paths under ``top/``) into a staging folder, then move it into ``target``."""
    _require_empty(target)
    existed = target.is_dir()
    if existed:
        staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=target))
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.restore-", dir=target.parent))
    try:
        for entry in files:
            _extract(zf, entry, staging, top)
        if existed:
            for child in staging.iterdir():
                os.replace(child, target / child.name)
            staging.rmdir()
        else:
            os.replace(staging, target)
        fsync_dir(target)
        fsync_dir(target.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _extract(zf: zipfile.ZipFile, entry: dict, staging: Path, top: str) -> None:
    """Write one verified member below ``staging``, checking its hash again as it is written."""
    relative = entry["path"].split("/", 1)[1]
    dest = staging.joinpath(*relative.split("/"))
    if staging.resolve() not in dest.resolve().parents:
        raise InvalidInput(f"不安全的路徑：{entry['path']}", f"unsafe path {entry['path']}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as out, zf.open(entry["path"]) as src:
        while size <= entry["size"] and (chunk := src.read(CHUNK)):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    if size != entry["size"] or digest.hexdigest() != entry["sha256"]:
        raise StoreError(
            f"還原時 {entry['path']} 內容改變", f"{entry['path']} changed while restoring"
        )
    if top == EVIDENCE:
        os.chmod(dest, 0o440)  # evidence files are write-once (tracker.storage.blobs)
