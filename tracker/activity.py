"""The activity log (操作日誌, point 7.1): every change, hash-chained.

``<data dir>/activity-log.jsonl`` holds one JSON object per line: ``seq``,
``at``, ``actor``, ``action``, ``collection``, ``record``, ``before``, ``after``,
``prev_hash`` and ``hash``, where ``hash`` is the SHA-256 of the line's other
fields in canonical form (sorted keys, no spaces) and ``prev_hash`` the previous
line's hash (64 zeros for the first).  The chain's head — the line count and
the last hash — is also kept in ``activity-log.head.json``, so that removing or
rewriting the last lines is caught even though each line still chains.

A retention purge (issue 7) replaces the oldest lines with one ``anchor`` line
that records the last purged seq and hash; verification then starts from it.

Appends are made by the store while it holds its file lock, so the app and the
CLI can append at the same time without forking the chain.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

GENESIS = "0" * 64
LOG_NAME = "activity-log.jsonl"
HEAD_NAME = "activity-log.head.json"
HEAD_WIDTH = 160


def entry_hash(entry: dict) -> str:
    """SHA-256 of the entry without its ``hash`` field, in canonical JSON."""
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True)
class Head:
    count: int
    seq: int
    hash: str


@dataclass(frozen=True)
class Verification:
    """``ok`` or the first bad 1-based ``line`` with a bilingual ``problem``."""

    ok: bool
    lines: int
    line: int | None = None
    problem_zh: str = ""
    problem_en: str = ""


class ActivityLog:
    """Append-only hash-chained log in a folder.  Not thread-safe by itself: callers hold the store's lock."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / LOG_NAME
        self.head_path = Path(folder) / HEAD_NAME

    def head(self) -> Head:
        try:
            data = orjson.loads(self.head_path.read_bytes().strip())
            return Head(int(data["count"]), int(data["seq"]), str(data["hash"]))
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
        lines, prev, seq = [], head.hash, head.seq
        for entry in entries:
            seq += 1
            line = dict(entry, seq=seq, prev_hash=prev)
            line["hash"] = prev = entry_hash(line)
            lines.append(line)
        if not lines:
            return []
        data = b"".join(orjson.dumps(line) + b"\n" for line in lines)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        self._write_head(Head(head.count + len(lines), seq, prev))
        return lines

    def _write_head(self, head: Head) -> None:
        """Overwrite the head record in place (fixed width, one small write).

        Not fsynced: the log lines themselves are, and after a crash
        :meth:`recover_interrupted_append` moves the head over lines that were
        written but not yet counted.
        """
        record = orjson.dumps({"count": head.count, "seq": head.seq, "hash": head.hash}).ljust(HEAD_WIDTH) + b"\n"
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
        prev, expected_seq, count = GENESIS, None, 0
        if not self.path.exists():
            return _bad(0, 1, "日誌檔不存在", "log file missing") if head.count else Verification(True, 0)
        with self.path.open("rb") as fh:
            for number, raw in enumerate(fh, start=1):
                count = number
                problem = _check_line(raw, prev, expected_seq, number)
                if problem:
                    return _bad(number, number, *problem)
                entry = orjson.loads(raw)
                prev, expected_seq = entry["hash"], entry["seq"] + 1
        if count != head.count or prev != head.hash:
            line = min(count, head.count) + 1 if count != head.count else count
            return _bad(count, line, f"日誌結尾與記錄之鏈頭不符（{count} 行，鏈頭記 {head.count} 行）",
                        f"log end does not match the recorded head ({count} lines, head says {head.count})")
        return Verification(True, count)

    def recover_interrupted_append(self) -> bool:
        """After a crash between writing lines and moving the head, move the head over them.

        Accepted only when the log up to the recorded head is intact and every
        extra line chains on; anything else (a shorter log, a changed line) is
        left for :meth:`verify` to report.  A partial last line (no newline) was
        never acknowledged and is cut off.  Returns whether the head moved.
        """
        if not self.path.exists():
            return False
        head = self.head()
        if self._has_partial_tail():
            self._drop_partial_tail()
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
            return False
        self._write_head(Head(count, seq, prev))
        return True

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


def _check_line(raw: bytes, prev: str, expected_seq: int | None, number: int):
    try:
        entry = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return "無法解析的 JSON", "not valid JSON"
    if not isinstance(entry, dict) or "hash" not in entry or "prev_hash" not in entry:
        return "缺少雜湊欄位", "hash fields missing"
    if entry.get("kind") == "anchor" and number == 1:
        return None if entry_hash(entry) == entry["hash"] else ("錨點雜湊不符", "anchor hash mismatch")
    if entry_hash(entry) != entry["hash"]:
        return "內容與雜湊不符（已被修改）", "content does not match its hash (modified)"
    if entry["prev_hash"] != prev:
        return "前一筆雜湊不符（刪除或調換）", "prev_hash does not match the previous line (removed or reordered)"
    if expected_seq is not None and entry.get("seq") != expected_seq:
        return "序號不連續", "sequence number out of order"
    return None


def _bad(lines: int, line: int, zh: str, en: str) -> Verification:
    return Verification(False, lines, line, zh, en)


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
