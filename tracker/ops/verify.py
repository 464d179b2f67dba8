"""Verifying a backup archive: its manifest's MAC, every member against the manifest, the log's chain.

The manifest must carry the installation's HMAC (its ``hmac`` field, see
:mod:`tracker.ops.backupkey`): an archive edited elsewhere, its hashes
recomputed, is refused before anything else is believed.
:func:`tables_against_log` checks a restored folder's records against the
activity log (the latest logged state of each record).

The archive is untrusted input: only regular-file members with relative,
normalised names under ``data/`` or ``evidence/`` are accepted (no ``..``, no
absolute path, no backslash, no symlink or device entry, no duplicate), and
no member is read further than the size the manifest gives it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from tracker.activitylog.chain import HEAD_NAME, LOG_NAME, Head, is_anchor, verify_lines
from tracker.ops.archive import (
    CHUNK,
    CONTROL,
    DATA,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    MAX_MANIFEST_BYTES,
    name_problem,
)
from tracker.ops.backupkey import mac_matches
from tracker.storage.checkpoint import TABLES, Damaged, Manifest, read_manifest, read_table
from tracker.storage.codec import to_doc
from tracker.storage.registry import COLLECTIONS, redacted

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


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


def verify_backup(path: Path, key: bytes | None) -> BackupCheck:
    """Check the manifest's MAC under ``key``, every member against the manifest and the
    archived activity log's chain.

    Never raises for a bad archive: every fault becomes one line in
    ``problems`` (a missing or unreadable file, or a manifest whose MAC does
    not match, is the first and only one).  ``key`` ``None`` (no key file)
    fails every archive: nothing can vouch for its manifest.
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
        manifest = _read_manifest(zf, members, check, key)
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
        problem = name_problem(name, archive=True) or _entry_problem(info)
        if problem:
            check.add(repr(name) if CONTROL.search(name) else name, *problem)
        elif name in seen:
            check.add(name, "封存檔中重複出現", "appears twice in the archive")
        else:
            seen[name] = info
    return seen


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


def _read_manifest(zf, members, check: BackupCheck, key: bytes) -> dict | None:
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
    if key is None:
        check.add(
            MANIFEST,
            "找不到本系統的備份金鑰（TRACKER_BACKUP_KEY_FILE），無法確認備份清單",
            "no backup key (TRACKER_BACKUP_KEY_FILE): the manifest cannot be authenticated",
        )
        return None
    if not mac_matches(key, manifest):
        check.add(MANIFEST, *_mac_problem(manifest))
        return None
    return manifest


def _mac_problem(manifest: dict) -> tuple[str, str]:
    if "hmac" not in manifest:
        return (
            "備份清單沒有金鑰驗證碼：不是本系統以其備份金鑰建立的備份",
            "no hmac: not an archive this installation wrote with its backup key",
        )
    return (
        "備份清單的金鑰驗證碼不符：備份遭修改，或由其他金鑰建立",
        "hmac does not match: the archive was changed, or written under another key",
    )


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
        if not ok or name_problem(entry["path"], archive=True) or entry["path"] in names:
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


# --- the restored tables against the activity log -------------------------------


def damaged_tables(data_dir: Path) -> list[str]:
    """Each table file of a data folder that does not read back as its checkpoint wrote it.

    Read before a store is opened (opening would rebuild such a table from the
    log, hiding that the archive was edited).  One line per table; empty: all
    tables are as written.
    """
    problems = []
    try:
        listed = (read_manifest(Path(data_dir)) or Manifest(None, {})).tables
    except Damaged as exc:
        return [f"checkpoint.json: 無法讀取 (unreadable: {exc.reason})"]
    for path in sorted((Path(data_dir) / TABLES).glob("*/*.json")):
        where = f"{TABLES}/{path.parent.name}/{path.name}"
        try:
            table = read_table(path, path.parent.name)
        except Damaged as exc:
            problems.append(
                f"{where}: 表格內容與其檢查碼不符，遭到更動 "
                f"(the table does not match its checkpoint: {exc.reason})"
            )
            continue
        entry = listed.get(f"{path.parent.name}/{path.stem}")
        if entry is not None and entry.get("sha256") != table.sha256:
            problems.append(
                f"{where}: 表格與 checkpoint.json 記載的不同 "
                "(the table differs from what checkpoint.json lists)"
            )
    return problems


def tables_against_log(store) -> list[str]:
    """Each record in ``store`` against the latest state the activity log recorded for it.

    One line per problem: a record the log never mentions (forged into a
    table; not judged once a retention purge replaced the log's oldest lines),
    one whose fields differ from its last logged state, one the log deleted,
    and one the log created but the tables lack.  A field the log does not
    mention (added by a later version) must hold its default.  Fields the log
    redacts (password hashes) cannot be compared.  Empty: the tables are what
    the log says.
    """
    latest, purged = _logged_states(store)
    problems, seen = [], set()
    for name, coll in COLLECTIONS.items():
        for record in store.all(coll.cls):
            key = (name, record.id)
            seen.add(key)
            problem = _against(coll, record, key in latest, latest.get(key), purged)
            if problem:
                problems.append(f"{name}/{record.id}: {problem}")
    for (name, record_id), after in latest.items():
        if after is not None and name in COLLECTIONS and (name, record_id) not in seen:
            problems.append(
                f"{name}/{record_id}: 操作日誌記載此紀錄存在，但資料中沒有 "
                "(the activity log has this record, the tables do not)"
            )
    return problems


def _logged_states(store) -> tuple[dict, bool]:
    """(collection, record) -> the last logged ``after`` (``None``: deleted); whether purged."""
    latest: dict[tuple[str, str], dict | None] = {}
    purged = False
    for entry in store.log.entries():
        if is_anchor(entry):
            purged = True
        elif entry.get("collection") and entry.get("record"):
            latest[(entry["collection"], entry["record"])] = entry.get("after")
    return latest, purged


def _against(coll, record, logged: bool, after: dict | None, purged: bool) -> str | None:
    if not logged:
        if purged:
            return None
        return (
            "操作日誌中沒有此紀錄（未經記錄寫入資料表） (not in the activity log: written past it)"
        )
    if after is None:
        return "操作日誌記載此紀錄已刪除 (the activity log deleted this record)"
    doc = json.loads(json.dumps(redacted(coll, to_doc(record)), ensure_ascii=False))
    defaults = {f.name: _default(f) for f in dataclasses.fields(coll.cls)}
    for name, value in doc.items():
        if after.get(name, defaults.get(name)) != value:
            return f"欄位 {name} 與操作日誌記載不符 (field {name} differs from the activity log)"
    return None


def _default(f: dataclasses.Field):
    if f.default is not dataclasses.MISSING:
        value = f.default
    elif f.default_factory is not dataclasses.MISSING:
        value = f.default_factory()
    else:
        return _NO_DEFAULT
    if isinstance(value, tuple | list | set | frozenset):
        return [getattr(v, "value", v) for v in value]
    return getattr(value, "value", value)  # an enum's stored value; plain values as they are


_NO_DEFAULT = object()
