"""The hash chain of the activity log: hashing, the head, and checking lines.

Shared by :mod:`tracker.activitylog.log` (appending, the end of the log),
:mod:`tracker.activitylog.purge` (retention purge behind an anchor line), the
store (catching up from the log) and the backup's check of an archived log.
Hashes are taken over :mod:`tracker.activitylog.canonical`.  Nothing here writes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import orjson

from tracker.activitylog.canonical import canonical_bytes

GENESIS = "0" * 64
LOG_NAME = "activity-log.jsonl"
HEAD_NAME = "activity-log.head.json"
PURGE_JOURNAL_NAME = "activity-log.purge.json"
ANCHOR_KIND = "anchor"
PURGE_ACTION = "activity_log_purged"
HEAD_WIDTH = 192


def entry_hash(entry: dict) -> str:
    """SHA-256 of the entry without its ``hash`` field, in canonical JSON."""
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(canonical_bytes(body)).hexdigest()


def anchor_digest(entry: dict) -> str:
    """SHA-256 of an anchor line without its ``anchor_digest`` field, in canonical JSON."""
    body = {k: v for k, v in entry.items() if k != "anchor_digest"}
    return hashlib.sha256(canonical_bytes(body)).hexdigest()


def chained(entries: Iterable[dict], prev: str, seq: int) -> tuple[list[dict], bytes]:
    """``entries`` numbered from ``seq + 1`` and chained onto ``prev``: the lines and their bytes.

    Each stored line is the canonical body with ``"hash"`` added last, so the
    bytes are serialised once.
    """
    lines, chunks = [], []
    for entry in entries:
        seq += 1
        line = dict(entry, seq=seq, prev_hash=prev)
        body = canonical_bytes(line)
        prev = line["hash"] = hashlib.sha256(body).hexdigest()
        chunks.append(body[:-1] + b',"hash":"' + prev.encode() + b'"}\n')
        lines.append(line)
    return lines, b"".join(chunks)


def is_anchor(entry: dict) -> bool:
    return isinstance(entry, dict) and entry.get("kind") == ANCHOR_KIND


def entry_instant(entry: dict) -> datetime | None:
    """When the line was written (``at``), or ``None`` for an anchor or a line without a time."""
    at = entry.get("at") if isinstance(entry, dict) and not is_anchor(entry) else None
    try:
        return datetime.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Head:
    """The chain's end: line count, last seq and hash, and the log's size in bytes there.

    ``size`` is ``None`` only in a head written before sizes were kept (schema 1).
    """

    count: int
    seq: int
    hash: str
    size: int | None = None


@dataclass(frozen=True)
class Verification:
    """``ok`` or the first bad 1-based ``line`` with a bilingual ``problem``."""

    ok: bool
    lines: int
    line: int | None = None
    problem_zh: str = ""
    problem_en: str = ""


def verify_lines(lines: Iterable[bytes], head: Head | None) -> Verification:
    """Check raw log lines (a file, or an archived copy) against ``head``; ``None`` skips the head check.

    Line 1 may be an anchor left by a purge; it must then be vouched for by a
    later ``activity_log_purged`` line naming its seq and hash.
    """
    prev, expected_seq, count, anchor, vouched = GENESIS, None, 0, None, False
    for number, raw in enumerate(lines, start=1):
        count = number
        entry, problem = check_line(raw, prev, expected_seq, number)
        if problem:
            return bad(number, number, *problem)
        if number == 1 and is_anchor(entry):
            anchor = (entry["seq"], entry["hash"])
        elif (
            anchor and entry.get("action") == PURGE_ACTION and isinstance(entry.get("after"), dict)
        ):
            vouched = (
                vouched
                or (
                    entry["after"].get("anchor_seq"),
                    entry["after"].get("anchor_hash"),
                )
                == anchor
            )
        prev, expected_seq = entry["hash"], entry["seq"] + 1
    if anchor and not vouched:
        return bad(
            count, 1, "錨點沒有對應的清除紀錄", "the anchor has no purge record vouching for it"
        )
    if head is not None and (count != head.count or prev != head.hash):
        line = min(count, head.count) + 1 if count != head.count else count
        return bad(
            count,
            line,
            f"日誌結尾與記錄之鏈頭不符（{count} 行，鏈頭記 {head.count} 行）",
            f"log end does not match the recorded head ({count} lines, head says {head.count})",
        )
    return Verification(True, count)


def check_line(raw: bytes, prev: str, expected_seq: int | None, number: int):
    """``(entry, None)`` for a line that chains onto ``prev``, else ``(None, (zh, en))``.

    An anchor is accepted only as line 1 (``number``).  ``expected_seq`` ``None``
    accepts any seq (the first line).
    """
    if not raw.endswith(b"\n"):
        return None, ("最後一行不完整（寫入中斷）", "the line is incomplete (an interrupted write)")
    entry, problem = parse_line(raw)
    if problem:
        return None, problem
    if is_anchor(entry) and number == 1:
        ok = anchor_digest(entry) == entry.get("anchor_digest")
        return (entry, None) if ok else (None, ("錨點雜湊不符", "anchor hash mismatch"))
    try:
        digest = entry_hash(entry)
    except TypeError:
        digest = None
    if digest != entry["hash"]:
        return None, ("內容與雜湊不符（已被修改）", "content does not match its hash (modified)")
    if entry["prev_hash"] != prev:
        return None, (
            "前一筆雜湊不符（刪除或調換）",
            "prev_hash does not match the previous line (removed or reordered)",
        )
    if expected_seq is not None and entry["seq"] != expected_seq:
        return None, ("序號不連續", "sequence number out of order")
    return entry, None


def parse_line(raw: bytes):
    """``(entry, None)`` for a line with the chain's fields (``seq``, ``prev_hash``, ``hash``), else ``(None, problem)``."""
    try:
        entry = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None, ("無法解析的 JSON", "not valid JSON")
    if not isinstance(entry, dict) or "hash" not in entry or "prev_hash" not in entry:
        return None, ("缺少雜湊欄位", "hash fields missing")
    if not isinstance(entry.get("seq"), int) or isinstance(entry.get("seq"), bool):
        return None, ("序號欄位不正確", "seq is not a number")
    return entry, None


def bad(lines: int, line: int, zh: str, en: str) -> Verification:
    return Verification(False, lines, line, zh, en)
