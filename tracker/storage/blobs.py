"""Evidence files stored once, by content hash, under the evidence folder.

A file lives at ``<evidence dir>/<aa>/<sha256>`` where ``aa`` is the first two
hex digits (no extension: evidence is mostly PDF, audit records also XLSX).
The uploader's file name never becomes part of a path; it is metadata in the
store.  Files are written once (a temporary file in ``.staging/``, fsync,
rename) and never overwritten: storing the same bytes again is a no-op.  The
application writes them inside a :class:`tracker.storage.staging.Transaction`,
so a file never outlives a change that was not committed.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from tracker.core.errors import NotFound, StoreError, os_failure
from tracker.core.fileio import atomic_write

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
STAGING = ".staging"  # temporary files of writes in progress, swept when the store opens


class BlobStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        """Where the file with this hash lives; refuses anything that is not a SHA-256 in hex."""
        if not isinstance(sha256, str) or not _SHA256.match(sha256):
            raise NotFound("檔案識別碼格式錯誤", "not a SHA-256 file id")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        """Store ``data`` if new; returns its SHA-256."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if target.exists():
            return digest
        try:
            atomic_write(target, data, staging=self.root / STAGING)
            os.chmod(target, 0o440)
        except OSError as exc:
            raise os_failure(exc, "寫入佐證檔案", "writing the evidence file") from exc
        return digest

    def remove(self, sha256: str) -> bool:
        """Delete a stored file (a transaction undone, a retention purge); returns whether it existed."""
        target = self.path(sha256)
        try:
            target.unlink()
        except FileNotFoundError:
            return False
        return True

    def read(self, sha256: str) -> bytes:
        """The stored bytes, checked against their hash."""
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
