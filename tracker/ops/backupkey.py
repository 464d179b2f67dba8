"""The key that authenticates backup manifests (HMAC-SHA256), kept outside every backup.

A manifest lists every member's SHA-256, so anyone who edits an archive can
recompute it; only a keyed MAC over the manifest shows that this installation
wrote it.  The key is 32 random bytes (hex) in the file
``Settings.backup_key_path``: ``TRACKER_BACKUP_KEY_FILE``, by default
``<data folder>.backup-key`` beside the data folder.  It is created with mode
0600 on the first backup, must never lie inside the data or evidence folder
(a backup would then carry it), and must be copied somewhere safe apart from
the backups: restoring on another machine needs it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import stat
from pathlib import Path

from tracker.core.config import Settings
from tracker.core.errors import StoreError
from tracker.core.fileio import fsync_dir

_KEY = re.compile(rb"^[0-9a-f]{64}\s*$")


def backup_key(settings: Settings, *, create: bool = False) -> bytes:
    """The backup key; with ``create`` a missing key file is made (0600).

    Raises StoreError when the file is missing (and not to be created), is no
    regular file, can be read by group or others, holds no key, or lies inside
    the data or evidence folder.
    """
    path = settings.backup_key_path
    _refuse_inside(path, settings)
    if not os.path.lexists(path):
        if create:
            return _create(path)
        raise StoreError(
            f"找不到備份金鑰 {path}：請把建立備份時的金鑰檔放回原處，或以 TRACKER_BACKUP_KEY_FILE 指定",
            f"backup key {path} not found; restore it or point TRACKER_BACKUP_KEY_FILE at it",
        )
    return backup_key_file(path)


def existing_backup_key(settings: Settings) -> bytes | None:
    """The backup key, or ``None`` when its file does not exist (other faults raise StoreError)."""
    path = settings.backup_key_path
    _refuse_inside(path, settings)
    return backup_key_file(path) if os.path.lexists(path) else None


def manifest_mac(key: bytes, manifest: dict) -> str:
    """The HMAC-SHA256 (hex) of a manifest without its ``hmac`` field, in canonical JSON
    (sorted keys, no spaces, UTF-8), so that the archive's indentation does not matter."""
    body = {k: v for k, v in manifest.items() if k != "hmac"}
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def mac_matches(key: bytes, manifest: dict) -> bool:
    """Whether the manifest's ``hmac`` field authenticates the rest of it under ``key``."""
    mac = manifest.get("hmac")
    return isinstance(mac, str) and hmac.compare_digest(manifest_mac(key, manifest), mac)


def _read(path: Path, file) -> bytes:
    info = os.fstat(file.fileno())
    if not stat.S_ISREG(info.st_mode):
        raise StoreError(
            f"備份金鑰不是一般檔案：{path}", f"backup key {path} is not a regular file"
        )
    if info.st_mode & 0o077:
        raise StoreError(
            f"備份金鑰 {path} 的權限過寬，請執行 chmod 600 {path}",
            f"backup key {path} is readable by others; chmod 600 it",
        )
    raw = file.read(200)
    if not _KEY.match(raw):
        raise StoreError(f"備份金鑰 {path} 內容不正確", f"backup key {path} holds no key")
    return bytes.fromhex(raw.strip().decode())


def _create(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:  # made by another process meanwhile
        return backup_key_file(path)
    text = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(text + "\n")
        file.flush()
        os.fsync(file.fileno())
    fsync_dir(path.parent)
    return bytes.fromhex(text)


def backup_key_file(path: Path) -> bytes:
    """The key in the file at ``path`` (the checks of :func:`backup_key`)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise StoreError(
            f"無法讀取備份金鑰 {path}", f"cannot read backup key {path}: {exc}"
        ) from None
    with os.fdopen(fd, "rb") as file:
        return _read(path, file)


def _refuse_inside(path: Path, settings: Settings) -> None:
    where = Path(os.path.abspath(path))
    for folder in (settings.data_dir, settings.evidence_dir):
        root = Path(os.path.abspath(folder))
        if where == root or root in where.parents:
            raise StoreError(
                f"備份金鑰 {path} 不得放在資料或佐證資料夾內（備份會把它一起帶走）",
                f"the backup key {path} must not lie inside {root}: backups would contain it",
            )
