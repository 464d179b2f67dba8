"""Backups of the data folder, the evidence files and the activity log as one verifiable ZIP.

Archive layout::

    data/<path>      every file of the data folder (tables, meta.json, .seq, the
                     activity log and its head, query-logs/…), except lock files
                     and the temporary files of interrupted atomic writes
    evidence/<path>  every evidence file (``<aa>/<sha256>``, write-once)
    manifest.json    written last: format, created, schema, the activity log's
                     head, and every other member's path, size and SHA-256

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
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tracker import __version__, clock
from tracker.activity import HEAD_NAME, LOG_NAME, Head, verify_lines
from tracker.config import Settings
from tracker.errors import InvalidInput, StoreError
from tracker.fileio import fsync_dir

FORMAT = "nia-compliance-tracker-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATA, EVIDENCE = "data", "evidence"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
CHUNK = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")


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


@dataclass
class BackupCheck:
    """The result of :func:`verify_backup`: ``problems`` holds one line per problem (empty: intact)."""

    problems: list[str] = field(default_factory=list)
    manifest: dict | None = None
    files: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, where: str, zh: str, en: str) -> None:
        self.problems.append(f"{where}: {zh} ({en})")


class BackupInvalid(InvalidInput):
    """The archive did not verify; ``problems`` names every fault, one line each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(
            f"備份檔驗證失敗（{len(problems)} 項），未還原任何資料",
            f"the archive did not verify ({len(problems)} problems); nothing restored",
        )


# --- creating ----------------------------------------------------------------


def create_backup(
    settings: Settings, out: Path, *, store=None, actor: str = "system", record: bool = True
) -> BackupSummary:
    """Write one archive of the data and evidence folders to ``out`` (refused if it exists).

    ``store`` is the process's open store (one is opened when ``None``).  The
    archive is written to a temporary name and renamed when complete; with
    ``record`` the backup is noted in the activity log afterwards (so the note
    itself is not in the archive).  Raises InvalidInput for an existing
    ``out`` and StoreError when a file cannot be read.
    """
    from tracker.store import Store

    started = time.monotonic()
    out = Path(out)
    if out.exists():
        raise InvalidInput(f"檔案已存在：{out}", f"{out} already exists; choose a new name")
    store = store if store is not None else Store.open(settings)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
            summary = _write_archive(zf, settings, store, out)
        _fsync(tmp)
        os.replace(tmp, out)
        fsync_dir(out.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    summary = _with_time(summary, time.monotonic() - started)
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


def _write_archive(zf: zipfile.ZipFile, settings: Settings, store, out: Path) -> BackupSummary:
    entries: list[dict] = []
    with store.locked(), _QueryLogLock(settings.data_dir):
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
        "activity_log": {"count": head.count, "seq": head.seq, "hash": head.hash},
        "source": {"data_dir": str(settings.data_dir), "evidence_dir": str(settings.evidence_dir)},
        "files": entries,
        "totals": {"files": len(entries), "bytes": sum(e["size"] for e in entries)},
    }
    zf.writestr(
        _member(MANIFEST, time.time()),
        json.dumps(manifest, ensure_ascii=False, indent=1),
        compress_type=zipfile.ZIP_DEFLATED,
    )
    return BackupSummary(
        out,
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
            if path.is_symlink() or not path.is_file() or _name_problem(rel):
                skipped.append(rel)
                continue
            files.append((path, rel))
    return files, skipped


def _is_transient(name: str) -> bool:
    """Lock files and the temporary files of atomic writes are never part of a backup."""
    return name == ".lock" or (name.startswith(".") and name.endswith(".tmp"))


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


class _QueryLogLock:
    """Hold the query-log store's own lock (``<data>/query-logs/.lock``) when that store exists.

    tracker.logstore writes under this lock, not the store's; taking it too
    keeps an import or a purge from landing half way through the backup.
    """

    def __init__(self, data_dir: Path):
        folder = data_dir / "query-logs"
        self.lock = None
        if folder.is_dir():
            from filelock import FileLock

            self.lock = FileLock(str(folder / ".lock"), timeout=60)

    def __enter__(self):
        if self.lock is not None:
            self.lock.acquire()
        return self

    def __exit__(self, *exc):
        if self.lock is not None:
            self.lock.release()
        return False


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _with_time(summary: BackupSummary, seconds: float) -> BackupSummary:
    from dataclasses import replace

    return replace(summary, seconds=round(seconds, 3))


def default_name(now: datetime | None = None) -> str:
    """``tracker-backup-YYYYMMDD-HHMMSS.zip`` in Taipei time."""
    return f"tracker-backup-{(now or clock.now()):%Y%m%d-%H%M%S}.zip"


# --- verifying ---------------------------------------------------------------


def verify_backup(path: Path) -> BackupCheck:
    """Check every member against the manifest and the archived activity log's chain.

    Never raises for a bad archive: every fault becomes one line in
    ``problems`` (a missing or unreadable file is the first and only one).
    """
    check = BackupCheck()
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError:
        check.add(str(path), "找不到備份檔", "no such file")
        return check
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        check.add(str(path), "不是可讀取的 ZIP 備份檔", f"not a readable ZIP archive: {exc}")
        return check
    with zf:
        members = _members(zf, check)
        manifest = _read_manifest(zf, members, check)
        if manifest is None:
            return check
        check.manifest = manifest
        expected = {e["path"]: e for e in manifest["files"]}
        for name, info in sorted(members.items()):
            if name == MANIFEST:
                continue
            if name not in expected:
                check.add(
                    name, "備份清單未列出此檔（多出的檔案）", "extra file not in the manifest"
                )
                continue
            _check_member(zf, info, expected[name], check)
        for name in sorted(set(expected) - set(members)):
            check.add(
                name,
                "備份清單列出但封存檔中缺少",
                "listed in the manifest but missing from the archive",
            )
        check.files = len(expected)
        if not any(
            p.startswith(f"{DATA}/{LOG_NAME}") or p.startswith(f"{DATA}/{HEAD_NAME}")
            for p in check.problems
        ):
            _check_chain(zf, members, manifest, check)
    return check


def _members(zf: zipfile.ZipFile, check: BackupCheck) -> dict[str, zipfile.ZipInfo]:
    """The archive's acceptable members by name; every unacceptable one becomes a problem."""
    seen: dict[str, zipfile.ZipInfo] = {}
    for info in zf.infolist():
        name = info.filename
        problem = _name_problem(name, archive=True) or _entry_problem(info)
        if problem:
            check.add(repr(name) if _CONTROL.search(name) else name, *problem)
        elif name in seen:
            check.add(name, "封存檔中重複出現", "appears twice in the archive")
        else:
            seen[name] = info
    return seen


def _name_problem(name: str, *, archive: bool = False) -> tuple[str, str] | None:
    """Why ``name`` is not an acceptable relative path (``None`` when it is)."""
    if not name or _CONTROL.search(name) or "\\" in name:
        return "檔名含控制字元或反斜線", "name has a control character or a backslash"
    if name.startswith("/") or _DRIVE.match(name):
        return "不接受絕對路徑", "absolute path refused"
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return "不接受 .. 或空白路徑段（路徑穿越）", "path traversal or empty path segment refused"
    if archive and name != MANIFEST and (parts[0] not in (DATA, EVIDENCE) or len(parts) < 2):
        return "不在 data/ 或 evidence/ 之下", "not under data/ or evidence/"
    return None


def _entry_problem(info: zipfile.ZipInfo) -> tuple[str, str] | None:
    if info.is_dir():
        return "不應有資料夾項目", "directory entry not expected"
    kind_bits = stat.S_IFMT(info.external_attr >> 16)  # 0 when the tool recorded no Unix type
    if kind_bits and kind_bits != stat.S_IFREG:
        kind = "symlink" if kind_bits == stat.S_IFLNK else "special file"
        return f"不是一般檔案（{kind}）", f"not a regular file ({kind})"
    if info.flag_bits & 0x1:
        return "加密項目不接受", "encrypted member refused"
    return None


def _read_manifest(zf, members, check: BackupCheck) -> dict | None:
    info = members.get(MANIFEST)
    if info is None:
        check.add(MANIFEST, "缺少備份清單", "missing")
        return None
    try:
        with zf.open(info) as fh:
            raw = fh.read(MAX_MANIFEST_BYTES + 1)
        if len(raw) > MAX_MANIFEST_BYTES:
            raise ValueError("too large")
        manifest = json.loads(raw.decode("utf-8"))
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        check.add(MANIFEST, "無法讀取", f"unreadable: {exc}")
        return None
    problem = _manifest_problem(manifest)
    if problem:
        check.add(MANIFEST, *problem)
        return None
    return manifest


def _manifest_problem(manifest) -> tuple[str, str] | None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return "不是本系統的備份清單", "not a backup manifest of this application"
    if manifest.get("format_version") != FORMAT_VERSION:
        return (
            "備份格式版本不支援",
            f"unsupported format_version {manifest.get('format_version')!r}",
        )
    files, log = manifest.get("files"), manifest.get("activity_log")
    if not isinstance(files, list) or not isinstance(log, dict):
        return "備份清單欄位缺漏", "files or activity_log missing"
    names = set()
    for entry in files:
        ok = (
            isinstance(entry, dict)
            and isinstance(entry.get("path"), str)
            and isinstance(entry.get("size"), int)
            and entry["size"] >= 0
            and isinstance(entry.get("sha256"), str)
            and _SHA256.match(entry["sha256"])
        )
        if not ok or _name_problem(entry["path"], archive=True) or entry["path"] in names:
            return "備份清單中有不正確的檔案項目", f"bad file entry {entry!r:.120}"
        names.add(entry["path"])
    return None


def _check_member(zf, info: zipfile.ZipInfo, expected: dict, check: BackupCheck) -> None:
    name = info.filename
    try:
        digest, size = _digest(zf, info, expected["size"])
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        check.add(name, "封存檔中此檔已損毀", f"damaged in the archive: {exc}")
        return
    if size != expected["size"]:
        check.add(
            name, "大小與備份清單不符", f"size {size} but the manifest says {expected['size']}"
        )
    elif digest != expected["sha256"]:
        check.add(name, "SHA-256 與備份清單不符", "SHA-256 does not match the manifest")


def _digest(zf, info: zipfile.ZipInfo, limit: int) -> tuple[str, int]:
    """SHA-256 and size of a member, reading at most ``limit + 1`` bytes (no decompression bomb)."""
    digest, size = hashlib.sha256(), 0
    with zf.open(info) as fh:
        while size <= limit and (chunk := fh.read(min(CHUNK, limit + 1 - size))):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _check_chain(zf, members, manifest: dict, check: BackupCheck) -> None:
    """The archived log must verify against the archived head, which must equal the manifest's."""
    log_name, head_name = f"{DATA}/{LOG_NAME}", f"{DATA}/{HEAD_NAME}"
    recorded = manifest["activity_log"]
    try:
        want = Head(int(recorded["count"]), int(recorded["seq"]), str(recorded["hash"]))
    except (KeyError, TypeError, ValueError):
        check.add(MANIFEST, "操作日誌鏈頭欄位不正確", "activity_log head is malformed")
        return
    head = _archived_head(zf, members.get(head_name))
    if head != want:
        check.add(
            head_name, "鏈頭與備份清單不符", f"head {head} differs from the manifest's {want}"
        )
        return
    if log_name not in members:
        if want.count:
            check.add(log_name, "缺少操作日誌", "activity log missing")
        return
    with zf.open(members[log_name]) as fh:
        result = verify_lines(fh, want)
    if not result.ok:
        check.add(
            log_name,
            f"雜湊鏈驗證失敗（第 {result.line} 行）：{result.problem_zh}",
            f"hash chain broken at line {result.line}: {result.problem_en}",
        )


def _archived_head(zf, info) -> Head:
    if info is None:
        return Head(0, 0, "0" * 64)
    try:
        data = json.loads(zf.read(info).decode("utf-8").strip())
        return Head(int(data["count"]), int(data["seq"]), str(data["hash"]))
    except (ValueError, KeyError, TypeError):
        return Head(-1, -1, "unreadable")


# --- restoring ---------------------------------------------------------------


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
    and are moved into place only when every one was written and re-checked, so
    a failure leaves the targets as they were (missing or empty).  The restore
    is then noted in the restored activity log.  Raises :class:`BackupInvalid`
    (with every problem) when the archive does not verify, InvalidInput for a
    target that holds files or an archive of a newer schema.
    """
    from tracker.store import SCHEMA_VERSION, Store

    targets = {DATA: Path(settings.data_dir), EVIDENCE: Path(settings.evidence_dir)}
    for target in targets.values():
        _require_empty(target)
    check = verify_backup(path)
    if not check.ok:
        raise BackupInvalid(check.problems)
    manifest = check.manifest
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
    except BaseException:
        _undo(placed)  # both folders were missing or empty: put them back that way
        raise
    store = Store.open(settings)
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
        os.chmod(dest, 0o440)  # evidence files are write-once (tracker.blobs)
