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
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson

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
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def anchor_digest(entry: dict) -> str:
    """SHA-256 of an anchor line without its ``anchor_digest`` field, in canonical JSON."""
    body = {k: v for k, v in entry.items() if k != "anchor_digest"}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


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
    """The chain's end: line count, last seq and hash, and (when known) the log's size in bytes there."""

    count: int
    seq: int
    hash: str
    size: int | None = None


@dataclass(frozen=True)
class ChainState:
    """How far a log file has been verified: its inode, the bytes checked and where the chain stood."""

    inode: int
    offset: int
    prev: str
    next_seq: int | None
    count: int


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

    # --- retention purge (point 7.1: kept at least five years) ---------------

    def plan_purge(self, before: datetime) -> PurgePlan | None:
        """The leading lines written before ``before`` (``None`` when there are none).

        A line without a readable ``at`` goes with the line before it; an
        existing anchor is always replaced by the new one.  Only a prefix is
        ever purged, so the chain of what remains is untouched.
        """
        last, first_seq, lines, instant = None, None, 0, None
        for raw in self.raw_lines():
            entry = orjson.loads(raw)
            if is_anchor(entry):
                first_seq = entry.get("first_seq", 1)
                continue
            instant = entry_instant(entry) or instant
            if instant is None or instant >= before:
                break
            last, lines = entry, lines + 1
            first_seq = entry["seq"] if first_seq is None else first_seq
        if last is None:
            return None
        return PurgePlan(
            lines, int(first_seq), int(last["seq"]), last["prev_hash"], last["hash"], last.get("at")
        )

    def purge_before(self, before: datetime, *, actor: str, now: datetime) -> PurgePlan | None:
        """Replace the lines written before ``before`` with one anchor line; the caller holds the store's lock.

        The log must verify first (a broken chain is never blessed with an
        anchor).  Order: append the vouching ``activity_log_purged`` line,
        write a journal with the new head, atomically replace the log, write
        the head, drop the journal; :meth:`recover_interrupted_purge` finishes
        a purge interrupted between the last two writes.  The caller enforces
        the retention period.  Returns what was purged, or ``None``.
        """
        from tracker.errors import StoreError

        checked = self.verify()
        if not checked.ok:
            raise StoreError(
                f"操作日誌驗證失敗（第 {checked.line} 行），不執行清除",
                f"the activity log does not verify (line {checked.line}); nothing purged",
            )
        plan = self.plan_purge(before)
        if plan is None:
            return None
        self.append(
            {
                "at": now.isoformat(timespec="seconds"),
                "actor": actor,
                "action": PURGE_ACTION,
                "collection": None,
                "record": None,
                "before": None,
                "after": {
                    "anchor_seq": plan.last_seq,
                    "anchor_hash": plan.last_hash,
                    "purged_lines": plan.lines,
                    "first_seq": plan.first_seq,
                    "purged_before": before.isoformat(),
                },
            }
        )
        anchor = _anchor_line(plan, now)
        kept = self._rewrite_without_prefix(plan, anchor)
        head = self.head()
        self._write_head(Head(kept + 1, head.seq, head.hash))
        _fsync_file(self.head_path)  # the journal goes next: the new head must be on disk first
        self.journal_path.unlink(missing_ok=True)
        return plan

    @property
    def journal_path(self) -> Path:
        return self.path.with_name(PURGE_JOURNAL_NAME)

    def _rewrite_without_prefix(self, plan: PurgePlan, anchor: dict) -> int:
        """Write anchor + the lines after the purged prefix to a temp file and replace the log; returns kept lines."""
        from tracker.fileio import atomic_write, fsync_dir

        head = self.head()
        fd, tmp = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
        )
        kept = 0
        try:
            with os.fdopen(fd, "wb") as out, self.path.open("rb") as src:
                out.write(orjson.dumps(anchor) + b"\n")
                for raw in src:
                    entry = orjson.loads(raw)
                    if is_anchor(entry) or entry["seq"] <= plan.last_seq:
                        continue
                    out.write(raw)
                    kept += 1
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o640)
            journal = {
                "count": kept + 1,
                "seq": head.seq,
                "hash": head.hash,
                "anchor_digest": anchor["anchor_digest"],
            }
            atomic_write(self.journal_path, orjson.dumps(journal))
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        fsync_dir(self.path.parent)
        return kept

    def recover_interrupted_purge(self) -> bool:
        """Finish a purge that replaced the log but crashed before writing the head.

        The journal names the anchor it wrote; if the log's first line is that
        anchor the head is moved to the journal's, otherwise the log was never
        replaced and the journal is dropped.  Returns whether the head moved.
        """
        try:
            journal = orjson.loads(self.journal_path.read_bytes())
        except (FileNotFoundError, orjson.JSONDecodeError):
            self.journal_path.unlink(missing_ok=True)
            return False
        first = next(iter(self.raw_lines()), b"")
        try:
            entry = orjson.loads(first) if first else {}
        except orjson.JSONDecodeError:
            entry = {}
        moved = is_anchor(entry) and entry.get("anchor_digest") == journal.get("anchor_digest")
        if moved:
            self._write_head(Head(int(journal["count"]), int(journal["seq"]), str(journal["hash"])))
        self.journal_path.unlink(missing_ok=True)
        return moved

    def _drop_partial_tail(self) -> None:
        data = self.path.read_bytes()
        keep = data[: data.rfind(b"\n") + 1]
        with self.path.open("r+b") as fh:
            fh.truncate(len(keep))
            os.fsync(fh.fileno())


@dataclass(frozen=True)
class PurgePlan:
    """What a purge removes: ``lines`` real lines (an older anchor aside), seq ``first_seq``..``last_seq``."""

    lines: int
    first_seq: int
    last_seq: int
    last_prev_hash: str
    last_hash: str
    last_at: str | None


def _anchor_line(plan: PurgePlan, now: datetime) -> dict:
    """The line that stands in for the purged prefix: the last purged line's chain values, no content."""
    when = now.isoformat(timespec="seconds")
    anchor = {
        "kind": ANCHOR_KIND,
        "seq": plan.last_seq,
        "prev_hash": plan.last_prev_hash,
        "hash": plan.last_hash,
        "first_seq": plan.first_seq,
        "last_at": plan.last_at,
        "purged_at": when,
        # the usual fields as well, so that code listing the log shows the anchor like any line
        "at": when,
        "actor": "system",
        "action": "activity_log_anchor",
        "collection": None,
        "record": None,
        "before": None,
        "after": {"purged_seq": [plan.first_seq, plan.last_seq]},
    }
    anchor["anchor_digest"] = anchor_digest(anchor)
    return anchor


def verify_lines(lines: Iterable[bytes], head: Head | None) -> Verification:
    """Check raw log lines (a file, or an archived copy) against ``head``; ``None`` skips the head check.

    Line 1 may be an anchor left by a purge; it must then be vouched for by a
    later ``activity_log_purged`` line naming its seq and hash.
    """
    prev, expected_seq, count, anchor, vouched = GENESIS, None, 0, None, False
    for number, raw in enumerate(lines, start=1):
        count = number
        problem = _check_line(raw, prev, expected_seq, number)
        if problem:
            return _bad(number, number, *problem)
        entry = orjson.loads(raw)
        if number == 1 and is_anchor(entry):
            anchor = (entry["seq"], entry["hash"])
        elif (
            anchor and entry.get("action") == PURGE_ACTION and isinstance(entry.get("after"), dict)
        ):
            vouched = (
                vouched
                or (entry["after"].get("anchor_seq"), entry["after"].get("anchor_hash")) == anchor
            )
        prev, expected_seq = entry["hash"], entry["seq"] + 1
    if anchor and not vouched:
        return _bad(
            count, 1, "錨點沒有對應的清除紀錄", "the anchor has no purge record vouching for it"
        )
    if head is not None and (count != head.count or prev != head.hash):
        line = min(count, head.count) + 1 if count != head.count else count
        return _bad(
            count,
            line,
            f"日誌結尾與記錄之鏈頭不符（{count} 行，鏈頭記 {head.count} 行）",
            f"log end does not match the recorded head ({count} lines, head says {head.count})",
        )
    return Verification(True, count)


def _check_line(raw: bytes, prev: str, expected_seq: int | None, number: int):
    try:
        entry = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return "無法解析的 JSON", "not valid JSON"
    if not isinstance(entry, dict) or "hash" not in entry or "prev_hash" not in entry:
        return "缺少雜湊欄位", "hash fields missing"
    if is_anchor(entry) and number == 1:
        ok = anchor_digest(entry) == entry.get("anchor_digest") and isinstance(
            entry.get("seq"), int
        )
        return None if ok else ("錨點雜湊不符", "anchor hash mismatch")
    if entry_hash(entry) != entry["hash"]:
        return "內容與雜湊不符（已被修改）", "content does not match its hash (modified)"
    if entry["prev_hash"] != prev:
        return (
            "前一筆雜湊不符（刪除或調換）",
            "prev_hash does not match the previous line (removed or reordered)",
        )
    if expected_seq is not None and entry.get("seq") != expected_seq:
        return "序號不連續", "sequence number out of order"
    return None


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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

    def purge_before(self, before: datetime, *, actor: str, now: datetime) -> PurgePlan | None:
        from tracker.errors import StoreError

        raise StoreError("記憶體中的日誌不可清除", "an in-memory activity log is not purged")
