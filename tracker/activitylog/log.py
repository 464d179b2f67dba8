"""The activity log (操作日誌, point 7.1): every change, hash-chained; its append is the commit.

``<data dir>/activity-log.jsonl`` holds one JSON object per line: ``seq``,
``at``, ``actor``, ``action``, ``collection``, ``record``, ``before``, ``after``,
``prev_hash`` and ``hash``, where ``hash`` is the SHA-256 of the line's other
fields in the project's canonical JSON (:mod:`tracker.activitylog.canonical`)
and ``prev_hash`` the previous line's hash (64 zeros for the first).  The
chain's head — line count, last seq and hash, and the log's size in bytes —
is kept in ``activity-log.head.json``, so that removing or rewriting the last
lines is caught even though each line still chains.

Appending (:meth:`ActivityLog.append`) writes every byte (a loop over short
writes), fsyncs, then moves the head; any failure cuts the log back to where
it was and moves nothing, so a failed append leaves no entry.  The head is
not fsynced: after a crash it may lag behind lines already durable, and
:meth:`ActivityLog.recover_tail` moves it over them when they chain on (or
cuts a torn last line); anything else at the end is refused
(:class:`~tracker.core.errors.IntegrityError`), never rebuilt silently.

A retention purge (:mod:`tracker.activitylog.purge`) replaces the oldest lines
with one ``anchor`` line; see there.  Appends are made by the store while it
holds its file lock, so the app and the CLI can append without forking the chain.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from tracker.activitylog.chain import (
    GENESIS,
    HEAD_NAME,
    HEAD_WIDTH,
    LOG_NAME,
    Head,
    Verification,
    bad,
    chained,
    check_line,
    parse_line,
    verify_lines,
)
from tracker.core.errors import IntegrityError
from tracker.core.fileio import write_all

EMPTY = Head(0, 0, GENESIS, 0)
ANCHOR_HINT = "python -m tracker log verify --anchor <備份清單或稽核資料包的 hash>"
ANCHOR_HINT_EN = "python -m tracker log verify --anchor <hash from a backup manifest or package>"


@dataclass(frozen=True)
class TailRecovery:
    """What :meth:`ActivityLog.recover_tail` did: lines the head now covers, bytes of a torn line cut."""

    lines: int
    first_seq: int | None
    last_seq: int | None
    cut_bytes: int


class ActivityLog:
    """Append-only hash-chained log in a folder.  Not thread-safe by itself: callers hold the store's lock."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / LOG_NAME
        self.head_path = Path(folder) / HEAD_NAME

    # --- the head ------------------------------------------------------------

    def head(self) -> Head:
        """The recorded head; :data:`EMPTY` for a folder with neither log nor head.

        Raises IntegrityError when the head is missing while the log has lines,
        or cannot be read (garbled, NUL-filled): a head is never rebuilt from
        the log it is meant to check.
        """
        try:
            raw = self.head_path.read_bytes()
        except FileNotFoundError:
            if self.size() == 0:
                return EMPTY
            raise refusal("操作日誌鏈頭檔遺失", "the activity-log head file is missing") from None
        try:
            data = orjson.loads(raw.strip())
            size = data.get("size")
            head = Head(
                int(data["count"]),
                int(data["seq"]),
                str(data["hash"]),
                int(size) if size is not None else None,
            )
        except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError):
            raise refusal("操作日誌鏈頭檔無法讀取", "the activity-log head is unreadable") from None
        if head.count < 0 or head.seq < 0 or len(head.hash) != 64:
            raise refusal("操作日誌鏈頭檔內容不正確", "the activity-log head is malformed")
        return head

    def write_head(self, head: Head) -> None:
        """Overwrite the head record in place (fixed width, one small write; not fsynced)."""
        record = (
            orjson.dumps(
                {"count": head.count, "seq": head.seq, "hash": head.hash, "size": head.size}
            ).ljust(HEAD_WIDTH)
            + b"\n"
        )
        fd = os.open(self.head_path, os.O_RDWR | os.O_CREAT, 0o640)
        try:
            write_all(fd, record, offset=0)
        finally:
            os.close(fd)

    # --- appending -----------------------------------------------------------

    def append(self, entries: list[dict], head: Head) -> tuple[list[dict], Head]:
        """Chain ``entries`` after ``head`` (the current one), write them with one fsync, move the head.

        Returns the lines as written and the new head.  On any error (OSError:
        a full disk, EIO) the log is cut back to ``head.size`` and the head is
        left as it was, then the error is raised: nothing was appended.
        """
        lines, data = chained(entries, head.hash, head.seq)
        if not lines:
            return [], head
        new = Head(
            head.count + len(lines), lines[-1]["seq"], lines[-1]["hash"], head.size + len(data)
        )
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        try:
            try:
                if os.fstat(fd).st_size != head.size:
                    raise refusal("操作日誌長度與鏈頭不符", "the log's size differs from its head")
                write_all(fd, data)
                os.fsync(fd)
                self.write_head(new)
            except BaseException:
                _cut(fd, head.size)
                raise
        finally:
            os.close(fd)
        return lines, new

    # --- the end of the log --------------------------------------------------

    def size(self) -> int:
        try:
            return os.stat(self.path).st_size
        except FileNotFoundError:
            return 0

    def identity(self) -> tuple[int, int]:
        """``(inode, size)`` of the log file; ``(0, 0)`` when there is none."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return (0, 0)
        return (st.st_ino, st.st_size)

    def read(self, start: int, end: int) -> bytes:
        """The log's bytes from ``start`` to ``end``."""
        if end <= start:
            return b""
        with self.path.open("rb") as fh:
            fh.seek(start)
            return fh.read(end - start)

    def line_ending_at(self, offset: int) -> bytes:
        """The whole line whose newline is the byte before ``offset`` (``b""`` at 0)."""
        if offset <= 0:
            return b""
        with self.path.open("rb") as fh:
            start, chunk, data = offset, 4096, b""
            while start > 0:
                start = max(0, start - chunk)
                fh.seek(start)
                data = fh.read(offset - start)
                if data[:-1].rfind(b"\n") >= 0:
                    return data[data[:-1].rfind(b"\n") + 1 :]
                chunk *= 2
            return data

    def check_end(self, head: Head) -> None:
        """Refuse (IntegrityError) unless the log holds ``head``: long enough, ending in its line.

        Cheap: reads only the line before ``head.size``.  Lines past the head
        are :meth:`recover_tail`'s business.
        """
        size = self.size()
        if head.size is None:
            return
        if size < head.size:
            raise refusal(
                f"操作日誌比鏈頭記錄的短（{size} < {head.size} 位元組），最後幾行可能被刪除",
                f"the log is shorter than its head says ({size} < {head.size} bytes): "
                "lines were removed",
            )
        if head.count == 0:
            return
        last, problem = self.line_at(head.size)
        if problem or last["seq"] != head.seq or last["hash"] != head.hash:
            raise refusal(
                f"操作日誌第 {head.count} 行與鏈頭不符",
                f"line {head.count} does not match the head",
            )

    def line_at(self, offset: int):
        """``(entry, None)`` for the parsed line ending at ``offset``, or ``(None, problem)``."""
        return parse_line(self.line_ending_at(offset))

    def recover_tail(self, head: Head) -> TailRecovery | None:
        """Bring the head over what a crash left past it; the caller holds the store's lock.

        Whole lines that chain on from ``head`` were durably written before the
        crash: the head moves over them.  A torn last line (no newline) was
        never acknowledged: it is cut.  Lines past the head that do not chain
        are refused (IntegrityError).  Returns what was done, ``None`` when the
        log ends at the head.
        """
        size = self.size()
        if head.size is None or size == head.size:
            return None
        if size < head.size:
            self.check_end(head)
        tail = self.read(head.size, size)
        whole = tail[: tail.rfind(b"\n") + 1]
        prev, seq, count = head.hash, head.seq, head.count
        for raw in whole.splitlines(keepends=True):
            entry, problem = check_line(raw, prev, seq + 1, count + 1)
            if problem:
                raise refusal(
                    f"操作日誌第 {count + 1} 行（鏈頭之後）無法接續：{problem[0]}",
                    f"line {count + 1}, past the head, does not chain: {problem[1]}",
                )
            prev, seq, count = entry["hash"], entry["seq"], count + 1
        cut = len(tail) - len(whole)
        if cut:
            with self.path.open("r+b") as fh:
                fh.truncate(head.size + len(whole))
                os.fsync(fh.fileno())
        if count > head.count:
            self.write_head(Head(count, seq, prev, head.size + len(whole)))
        first = head.seq + 1 if count > head.count else None
        return TailRecovery(count - head.count, first, seq if first else None, cut)

    # --- reading -------------------------------------------------------------

    def entries(self) -> Iterator[dict]:
        """Every line, parsed; unreadable lines raise ``ValueError``."""
        for raw in self.raw_lines():
            yield orjson.loads(raw)

    def raw_lines(self) -> Iterator[bytes]:
        """Every line exactly as stored (with its newline)."""
        if not self.path.exists():
            return
        with self.path.open("rb") as fh:
            yield from fh

    def verify(self) -> Verification:
        """Check every line's hash, the chain, the sequence and the head (a full verification)."""
        try:
            head = self.head()
        except IntegrityError as exc:
            return bad(0, 0, exc.message_zh, exc.message_en)
        if not self.path.exists():
            return (
                bad(0, 1, "日誌檔不存在", "log file missing")
                if head.count
                else Verification(True, 0)
            )
        with self.path.open("rb") as fh:
            result = verify_lines(fh, head)
        if result.ok and head.size is not None and head.size != self.size():
            return bad(
                result.lines, result.lines, "日誌大小與鏈頭不符", "log size differs from the head"
            )
        return result

    def holds(self, digest: str) -> int | None:
        """The seq of the line (or anchor) whose hash is ``digest``, or ``None``."""
        needle = f'"hash":"{digest}"'.encode()
        for raw in self.raw_lines():
            if needle in raw:
                entry = orjson.loads(raw)
                if entry.get("hash") == digest:
                    return int(entry["seq"])
        return None


class MemoryActivityLog:
    """The same chain kept in memory (for the in-memory store in tests)."""

    def __init__(self):
        self.lines: list[dict] = []

    def head(self) -> Head:
        if not self.lines:
            return EMPTY
        return Head(len(self.lines), self.lines[-1]["seq"], self.lines[-1]["hash"], None)

    def append(self, entries: list[dict], head: Head) -> tuple[list[dict], Head]:
        lines, _ = chained(entries, head.hash, head.seq)
        self.lines.extend(lines)
        return lines, self.head()

    def entries(self) -> Iterator[dict]:
        return iter(list(self.lines))

    def raw_lines(self) -> Iterator[bytes]:
        return (orjson.dumps(line) + b"\n" for line in list(self.lines))

    def verify(self) -> Verification:
        return verify_lines(self.raw_lines(), self.head())

    def holds(self, digest: str) -> int | None:
        return next((e["seq"] for e in self.lines if e["hash"] == digest), None)


def _cut(fd: int, size: int) -> None:
    """Best effort after a failed append: the log back to ``size`` bytes, on disk."""
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    except OSError:
        pass  # the torn tail stays past the head; the next open cuts it (recover_tail)


def refusal(zh: str, en: str) -> IntegrityError:
    """An IntegrityError whose message ends with the command that checks the log against a backup."""
    return IntegrityError(f"{zh}；請核對：{ANCHOR_HINT}", f"{en}; check it: {ANCHOR_HINT_EN}")


def reseal(log: ActivityLog, anchor: str) -> tuple[Head, int]:
    """Write the head again at the log's end, vouched for by ``anchor`` (a hash kept elsewhere).

    Only when every line chains (a torn last line is cut first) and a line or
    the purge anchor has the hash ``anchor``.  Returns the head and how many
    lines follow the anchor.  Raises IntegrityError otherwise; nothing is written.
    """
    data = log.path.read_bytes() if log.path.exists() else b""
    whole = data[: data.rfind(b"\n") + 1]
    result = verify_lines(whole.splitlines(keepends=True), None)
    if not result.ok:
        raise refusal(
            f"操作日誌第 {result.line} 行無法驗證：{result.problem_zh}，不重寫鏈頭",
            f"line {result.line} does not verify ({result.problem_en}); head not written",
        )
    anchor_seq = log.holds(anchor)
    if anchor_seq is None:
        raise refusal(
            "日誌不含此錨點，不重寫鏈頭", "the log does not hold the anchor; head not written"
        )
    if len(whole) != len(data):
        with log.path.open("r+b") as fh:
            fh.truncate(len(whole))
            os.fsync(fh.fileno())
    last = orjson.loads(whole.splitlines()[-1]) if whole else None
    head = Head(result.lines, last["seq"], last["hash"], len(whole)) if last else EMPTY
    log.write_head(head)
    return head, head.seq - anchor_seq
