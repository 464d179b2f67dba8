"""Crash-safe file writing: every byte written or an error, temp file, fsync, atomic replace.

The one implementation of these steps in the project.  ``os.write`` may write
fewer bytes than asked (a full disk, a signal); :func:`write_all` loops until
everything is written and raises ``OSError`` when the system stops accepting
bytes, so no caller ever counts a short write as done.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

# the host part of temporary names ("." would split the name's fields)
HOST = (socket.gethostname() or "host").replace(".", "-")[:40]

Writer = Callable[[BinaryIO], None]


def write_all(fd: int, data: bytes, *, offset: int | None = None) -> None:
    """Write all of ``data`` to ``fd`` (at ``offset`` when given, else at its position).

    Raises OSError, ENOSPC when the system stops accepting bytes.
    """
    view = memoryview(data)
    while view:
        if offset is None:
            written = os.write(fd, view)
        else:
            written = os.pwrite(fd, view, offset)
            offset += max(written, 0)
        if written <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


def atomic_write(
    path: Path, data: bytes | Writer, *, durable: bool = True, staging: Path | None = None
) -> None:
    """Replace ``path`` with ``data`` so that a reader or a crash sees old or new, never half.

    ``data`` is bytes, or a function writing to a binary file (a Parquet
    writer).  The temporary file ``.<name>.<pid>.<host>-<random>.tmp`` is made in
    ``staging`` (default: beside ``path``; on the same file system) and removed
    on any error.  With ``durable`` the file and the folder entry are fsynced
    before returning.  Raises OSError; nothing is replaced then.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(staging) if staging is not None else path.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=folder, prefix=f".{path.name}.{os.getpid()}.{HOST}-", suffix=".tmp"
    )
    try:
        if callable(data):
            with os.fdopen(fd, "wb") as fh:
                data(fh)
                fh.flush()
                if durable:
                    os.fsync(fh.fileno())
        else:
            try:
                write_all(fd, data)
                if durable:
                    os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if durable:
        fsync_dir(path.parent)


def fsync_file(path: Path) -> None:
    """Flush a file already written (by other code) to the disk."""
    _fsync(path)


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename or a new file in it) to the disk."""
    _fsync(folder)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def is_temporary(name: str) -> bool:
    """Whether ``name`` is the temporary file of an interrupted :func:`atomic_write`."""
    return name.startswith(".") and name.endswith(".tmp")


def sweep_temporary(folder: Path) -> int:
    """Remove the temporary files in ``folder`` whose writing process is gone; returns how many.

    The writer's process id and host are part of the name, so a file another
    process is still writing is left alone.  A name without them (an older
    version's), or of another host (a folder several hosts share, where this
    host cannot ask whether that process lives), is removed once it is an hour old.
    """
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return 0
    for entry in entries:
        if entry.is_file(follow_symlinks=False) and is_temporary(entry.name):
            if _writer_alive(entry):
                continue
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
                removed += 1
    return removed


def _writer_alive(entry: os.DirEntry) -> bool:
    parts = entry.name.split(".")
    at = next((n for n in range(2, len(parts) - 1) if parts[n].isdigit()), None)
    pid = int(parts[at]) if at is not None else None
    host = parts[at + 1].rsplit("-", 1)[0] if at is not None and at + 2 < len(parts) else HOST
    if pid is None or host != HOST:  # an older name, or another host's (a shared folder)
        return time.time() - entry.stat(follow_symlinks=False).st_mtime < 3600
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
