"""Evidence files stored once, by content hash: the blob-store interface and its folder.

:class:`BlobStorage` is what the services use: ``put`` bytes (get their
SHA-256), ``read`` them back checked against it, ``exists``, ``all``,
``remove``.  :class:`BlobStore` keeps them in a folder (``TRACKER_EVIDENCE_DIR``),
which several app replicas may share over a network file system; an
S3-compatible store would be another implementation of the same five methods.

In the folder a file lives at ``<evidence dir>/<aa>/<sha256>`` where ``aa`` is
the first two hex digits (no extension: evidence is mostly PDF, audit records
also XLSX).  The uploader's file name never becomes part of a path; it is
metadata in the store.  Files are written once and never overwritten: storing
the same bytes again is a no-op, and two processes storing the same bytes at
once leave one complete file (see :meth:`BlobStore.put`).  The application
writes them inside a :class:`tracker.storage.staging.Transaction`, so a file
never outlives a change that was not committed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
from abc import ABC, abstractmethod
from pathlib import Path

from tracker.core.errors import NotFound, StoreError, os_failure
from tracker.core.fileio import HOST, fsync_dir

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
STAGING = ".staging"  # temporary files of writes in progress (the folder store sweeps them)
# link() not offered by the file system (some SMB/CIFS mounts): fall back to rename
_NO_LINK = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.ENOSYS}


class BlobStorage(ABC):
    """Write-once files named by their SHA-256 (hex), wherever they are kept."""

    @abstractmethod
    def put(self, data: bytes) -> str:
        """Store ``data`` if new; returns its SHA-256.  StoreError when it cannot be written."""

    @abstractmethod
    def read(self, sha256: str) -> bytes:
        """The stored bytes, checked against their hash.

        NotFound when absent (or ``sha256`` is not a SHA-256); StoreError when
        the bytes no longer match it.
        """

    @abstractmethod
    def exists(self, sha256: str) -> bool:
        """Whether a file with this hash is stored."""

    @abstractmethod
    def all(self) -> list[str]:
        """The hashes of every stored file, sorted."""

    @abstractmethod
    def remove(self, sha256: str) -> bool:
        """Delete a stored file (a retention purge); returns whether it existed."""


class BlobStore(BlobStorage):
    """The blobs of one folder (the evidence folder), safe to share between processes and hosts."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        """Where the file with this hash lives; refuses anything that is not a SHA-256 in hex."""
        if not isinstance(sha256, str) or not _SHA256.match(sha256):
            raise NotFound("檔案識別碼格式錯誤", "not a SHA-256 file id")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        """Store ``data`` if new; returns its SHA-256.

        The bytes go to a file of this writer's own in ``.staging/`` (process,
        host and a random part in its name), are fsynced and made read-only,
        and the file is then hard-linked to its place: ``link`` fails rather
        than replaces when the file is there already (another writer stored
        the same bytes first), so a stored file is never overwritten, and a
        reader never sees half of one.
        """
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if target.exists():
            return digest
        try:
            _write_once(target, data, self.root / STAGING)
        except OSError as exc:
            raise os_failure(exc, "寫入佐證檔案", "writing the evidence file") from exc
        return digest

    def read(self, sha256: str) -> bytes:
        target = self.path(sha256)
        try:
            data = target.read_bytes()
        except FileNotFoundError:
            raise NotFound("找不到佐證檔案", f"no stored file {sha256}") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise StoreError(
                "佐證檔案內容與雜湊不符（檔案已損毀或遭竄改）",
                f"stored file {sha256} does not match its hash",
            )
        return data

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def all(self) -> list[str]:
        return sorted(p.name for p in self.root.glob("??/*") if _SHA256.match(p.name))

    def remove(self, sha256: str) -> bool:
        """Delete a stored file (a transaction undone, a retention purge); returns whether it existed."""
        try:
            self.path(sha256).unlink()
        except FileNotFoundError:
            return False
        return True


def _write_once(target: Path, data: bytes, staging: Path) -> None:
    """Write ``target`` (absent a moment ago) without ever replacing a file that appeared meanwhile.

    The temporary name carries the writer's process id and host, as
    :func:`~tracker.core.fileio.atomic_write`'s do, so a sweep of ``.staging/``
    leaves a live writer's file alone, on this host or another sharing the folder.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging.mkdir(parents=True, exist_ok=True)
    tmp = staging / f".{target.name}.{os.getpid()}.{HOST}-{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o440)
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                if written <= 0:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        _link(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    fsync_dir(target.parent)


def _link(tmp: Path, target: Path) -> None:
    try:
        os.link(tmp, target)
    except FileExistsError:
        return  # the same bytes, stored by another writer first
    except OSError as exc:
        if exc.errno not in _NO_LINK:
            raise
        if not target.exists():  # no link(): a rename, which can only replace identical bytes
            os.replace(tmp, target)
