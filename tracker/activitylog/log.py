"""The activity log (操作日誌, point 7.1): every change, hash-chained.

``<data dir>/activity-log.jsonl`` holds one JSON object per line: ``seq``,
``at``, ``actor``, ``action``, ``collection``, ``record``, ``before``, ``after``,
``prev_hash`` and ``hash``, where ``hash`` is the SHA-256 of the line's other
fields in canonical form (sorted keys, no spaces) and ``prev_hash`` the previous
line's hash (64 zeros for the first).  The chain's head — the line count and
the last hash — is also kept in ``activity-log.head.json``, so that removing or
rewriting the last lines is caught even though each line still chains.

A retention purge (:meth:`ActivityLog.purge_before`) replaces the oldest lines
with one ``anchor`` line.  The anchor copies ``seq``, ``prev_hash`` and ``hash``
of the last purged line, so the first kept line still chains onto it, and
carries ``anchor_digest`` (SHA-256 of its other fields) for its own integrity.
Before rewriting, the purge appends an ordinary chained line with action
``activity_log_purged`` naming the anchor's seq and hash; verification accepts
an anchor only as line 1 and only when such a later line vouches for it, so a
forged anchor needs a forged chained line too.

Appends are made by the store while it holds its file lock, so the app and the
CLI can append at the same time without forking the chain.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import orjson

from tracker.activitylog.chain import (
    GENESIS,
    HEAD_NAME,
    HEAD_WIDTH,
    LOG_NAME,
    ChainState,
    Head,
    Verification,
    entry_hash,
    verify_lines,
)
from tracker.activitylog.chain import bad as _bad
from tracker.activitylog.chain import check_line as _check_line
from tracker.activitylog.purge import PurgeMixin, PurgePlan


class ActivityLog(PurgeMixin):
    """Append-only hash-chained log in a folder.  Not thread-safe by itself: callers hold the store's lock."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / LOG_NAME
        self.head_path = Path(folder) / HEAD_NAME

    def head(self) -> Head:
        try:
            data = orjson.loads(self.head_path.read_bytes().strip())
            size = data.get("size")
            return Head(
                int(data["count"]),
                int(data["seq"]),
                str(data["hash"]),
                int(size) if size is not None else None,
            )
        except FileNotFoundError:
            return Head(0, 0, GENESIS)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return Head(-1, -1, "unreadable")

    def append(self, entry: dict) -> dict:
        """Chain ``entry`` after the head, write it with fsync, then move the head."""
        return self.append_many([entry])[0]

    def append_many(self, entries: list[dict]) -> list[dict]:
        """Chain several entries in order with one write and one fsync, then move the head."""
        head = self.head()
        lines, chunks, prev, seq = [], [], head.hash, head.seq
        for entry in entries:
            seq += 1
            line = dict(entry, seq=seq, prev_hash=prev)
            body = orjson.dumps(line, option=orjson.OPT_SORT_KEYS)
            line["hash"] = prev = hashlib.sha256(body).hexdigest()
            # the stored line is the hashed body with the hash added: serialised once
            chunks.append(body[:-1] + b',"hash":"' + prev.encode() + b'"}\n')
            lines.append(line)
        if not lines:
            return []
        data = b"".join(chunks)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        try:
            os.write(fd, data)
            os.fsync(fd)
            size = os.fstat(fd).st_size
        finally:
            os.close(fd)
        self._write_head(Head(head.count + len(lines), seq, prev, size))
        return lines

    def _write_head(self, head: Head) -> None:
        """Overwrite the head record in place (fixed width, one small write).

        Not fsynced: the log lines themselves are, and after a crash
        :meth:`recover_interrupted_append` moves the head over lines that were
        written but not yet counted.
        """
        record = (
            orjson.dumps(
                {"count": head.count, "seq": head.seq, "hash": head.hash, "size": head.size}
            ).ljust(HEAD_WIDTH)
            + b"\n"
        )
        fd = os.open(self.head_path, os.O_RDWR | os.O_CREAT, 0o640)
        try:
            os.pwrite(fd, record, 0)
        finally:
            os.close(fd)

    def entries(self) -> Iterator[dict]:
        """Every line, parsed; unreadable lines raise ``ValueError``."""
        if not self.path.exists():
            return
        with self.path.open("rb") as fh:
            for raw in fh:
                yield orjson.loads(raw)

    def verify(self) -> Verification:
        """Check every line's hash, the chain, the sequence and the head."""
        head = self.head()
        if not self.path.exists():
            return (
                _bad(0, 1, "日誌檔不存在", "log file missing")
                if head.count
                else Verification(True, 0)
            )
        with self.path.open("rb") as fh:
            return verify_lines(fh, head)

    def raw_lines(self) -> Iterator[bytes]:
        """Every line exactly as stored (with its newline)."""
        if not self.path.exists():
            return
        with self.path.open("rb") as fh:
            yield from fh

    def recover_interrupted_append(self) -> bool:
        """After a crash between writing lines and moving the head, move the head over them.

        Accepted only when the log up to the recorded head is intact and every
        extra line chains on; anything else (a shorter log, a changed line) is
        left for :meth:`verify` to report.  A partial last line (no newline) was
        never acknowledged and is cut off.  Returns whether the head moved.
        """
        if not self.path.exists():
            return False
        purged = self.recover_interrupted_purge()
        head = self.head()
        if self._has_partial_tail():
            self._drop_partial_tail()
        size = self.path.stat().st_size
        if head.size is not None and size <= head.size:
            return purged  # nothing written past the head (a shorter log is for verify to report)
        if head.size is not None and head.count > 0:
            return self._recover_tail(head) or purged
        prev, seq, count = GENESIS, 0, 0
        with self.path.open("rb") as fh:
            for number, raw in enumerate(fh, start=1):
                if _check_line(raw, prev, seq + 1 if count else None, number):
                    return False
                entry = orjson.loads(raw)
                prev, seq, count = entry["hash"], entry["seq"], number
                if count == head.count and prev != head.hash:
                    return False
        if count <= head.count and head.count >= 0:
            return purged
        self._write_head(Head(count, seq, prev))
        return True

    def _recover_tail(self, head: Head) -> bool:
        """Move the head over whole lines written after ``head.size`` that chain on from it."""
        with self.path.open("rb") as fh:
            fh.seek(head.size - 1)
            if fh.read(1) != b"\n":
                return False
            tail = fh.read()
        prev, seq, count = head.hash, head.seq, head.count
        for raw in tail.splitlines(keepends=True):
            if _check_line(raw, prev, seq + 1, count + 1):
                return False
            entry = orjson.loads(raw)
            prev, seq, count = entry["hash"], entry["seq"], count + 1
        self._write_head(Head(count, seq, prev, head.size + len(tail)))
        return True

    def verify_incremental(
        self, state: ChainState | None
    ) -> tuple[Verification, ChainState | None]:
        """Verify only what was appended since ``state`` (all of it when ``state`` is ``None``,
        the file was replaced, or it shrank), then check the head.  Callers hold the
        store's lock so that no line is appended meanwhile.  Returns the result and
        the state to pass next time (``None`` after a failure).
        """
        if not self.path.exists():
            return self.verify(), None
        st = os.stat(self.path)
        if state is None or state.inode != st.st_ino or st.st_size < state.offset:
            data = self.path.read_bytes()
            result = verify_lines(data.splitlines(keepends=True), self.head())
            head = self.head()
            next_seq = head.seq + 1 if head.count else None
            fresh = ChainState(st.st_ino, len(data), head.hash, next_seq, result.lines)
            return result, (fresh if result.ok else None)
        with self.path.open("rb") as fh:
            fh.seek(state.offset)
            tail = fh.read()
        prev, next_seq, count = state.prev, state.next_seq, state.count
        for raw in tail.splitlines(keepends=True):
            count += 1
            problem = _check_line(raw, prev, next_seq, count)
            if problem:
                return _bad(count, count, *problem), None
            entry = orjson.loads(raw)
            prev, next_seq = entry["hash"], entry["seq"] + 1
        head = self.head()
        if count != head.count or prev != head.hash:
            return verify_lines(self.path.read_bytes().splitlines(keepends=True), head), None
        return Verification(True, count), ChainState(
            st.st_ino, state.offset + len(tail), prev, next_seq, count
        )

    def _has_partial_tail(self) -> bool:
        size = self.path.stat().st_size
        if size == 0:
            return False
        with self.path.open("rb") as fh:
            fh.seek(size - 1)
            return fh.read(1) != b"\n"

    def _drop_partial_tail(self) -> None:
        data = self.path.read_bytes()
        keep = data[: data.rfind(b"\n") + 1]
        with self.path.open("r+b") as fh:
            fh.truncate(len(keep))
            os.fsync(fh.fileno())


class MemoryActivityLog(ActivityLog):
    """The same chain kept in memory (for the in-memory store in tests)."""

    def __init__(self):
        self.lines: list[dict] = []

    def head(self) -> Head:
        if not self.lines:
            return Head(0, 0, GENESIS)
        return Head(len(self.lines), self.lines[-1]["seq"], self.lines[-1]["hash"])

    def append_many(self, entries: list[dict]) -> list[dict]:
        out = []
        for entry in entries:
            head = self.head()
            line = dict(entry, seq=head.seq + 1, prev_hash=head.hash)
            line["hash"] = entry_hash(line)
            self.lines.append(line)
            out.append(line)
        return out

    def entries(self) -> Iterator[dict]:
        return iter(list(self.lines))

    def verify(self) -> Verification:
        prev = GENESIS
        for number, entry in enumerate(self.lines, start=1):
            problem = _check_line(orjson.dumps(entry), prev, None, number)
            if problem:
                return _bad(number, number, *problem)
            prev = entry["hash"]
        return Verification(True, len(self.lines))

    def recover_interrupted_append(self) -> bool:
        return False

    def purge_before(self, before: datetime, *, actor: str, now: datetime) -> PurgePlan | None:
        from tracker.core.errors import StoreError

        raise StoreError("記憶體中的日誌不可清除", "an in-memory activity log is not purged")
