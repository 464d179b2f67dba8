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
            data = orjson.loads(self.head_path.read_bytes())
            return Head(int(data["count"]), int(data["seq"]), str(data["hash"]))
        except FileNotFoundError:
            return Head(0, 0, GENESIS)

    def append(self, entry: dict) -> dict:
        """Chain ``entry`` after the head, write it with fsync, then move the head."""
        head = self.head()
        line = dict(entry, seq=head.seq + 1, prev_hash=head.hash)
        line["hash"] = entry_hash(line)
        data = orjson.dumps(line) + b"\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        self._write_head(Head(head.count + 1, line["seq"], line["hash"]))
        return line

    def _write_head(self, head: Head) -> None:
        from tracker.fileio import atomic_write

        atomic_write(self.head_path, orjson.dumps({"count": head.count, "seq": head.seq, "hash": head.hash}))

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
        """After a crash between a line's write and the head's, move the head over that one line.

        Only a single, correctly chained extra line is accepted; anything else is
        left for ``verify`` to report.  Returns whether the head was moved.
        """
        head = self.head()
        if not self.path.exists():
            return False
        last, count = None, 0
        with self.path.open("rb") as fh:
            for raw in fh:
                count += 1
                last = raw
        if count != head.count + 1 or last is None:
            return False
        if not last.endswith(b"\n"):
            self._drop_partial_tail()
            return False
        try:
            entry = orjson.loads(last)
        except orjson.JSONDecodeError:
            return False
        if entry.get("prev_hash") != head.hash or entry_hash(entry) != entry.get("hash"):
            return False
        self._write_head(Head(count, int(entry["seq"]), entry["hash"]))
        return True

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

    def append(self, entry: dict) -> dict:
        head = self.head()
        line = dict(entry, seq=head.seq + 1, prev_hash=head.hash)
        line["hash"] = entry_hash(line)
        self.lines.append(line)
        return line

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
