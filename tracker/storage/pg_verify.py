"""Checking a PostgreSQL store's activity log from where it last verified to its end.

A full verification (``log verify``) reads every line.  The status engine's
7.1 check is run on every report, so it checks only the lines after the last
verified position: that line must still carry the hash it had, every later
line must chain on, and the head must match.  The position is kept in
``tracker.meta`` (``log_verified``: epoch, count, seq, hash), so a new
process does not start from the first line; lines before it are the nightly
full check's to read (see the README).  A rewritten log (a new epoch) is
verified in full.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from tracker.activitylog.chain import Head, Verification, bad, check_line, verify_lines
from tracker.storage.pg_log import read_head, stream_lines

MARKER = "log_verified"


@dataclass(frozen=True)
class Verified:
    """Where the log last verified: its epoch and the head then."""

    epoch: int
    head: Head


def verify_tail(pool, state: Verified | None) -> tuple[Verification, Verified | None]:
    """Verify the lines after ``state`` (the stored position when ``None``); the result and the new position."""
    with pool.connection() as conn:
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            head, epoch = read_head(conn)
            state = state or _stored(conn)
            if (
                state is None
                or not state.head.count
                or state.epoch != epoch
                or state.head.seq > head.seq
            ):
                result = verify_lines(stream_lines(conn), head)
            else:
                result = _tail(conn, state.head, head)
        if not result.ok:
            return result, None
        new = Verified(epoch, head)
        if new != state:
            conn.execute(
                "INSERT INTO tracker.meta VALUES (%s, %s::jsonb) "
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                (MARKER, orjson.dumps(_as_json(new)).decode()),
            )
        return result, new


def _tail(conn, since: Head, head: Head) -> Verification:
    """Check the line verified last (unchanged, its hash holds) and every line after it."""
    prev, expected, count = None, since.seq, since.count - 1
    for raw in stream_lines(conn, after=since.seq - 1):
        count += 1
        if prev is None:
            entry, problem = _same_line(raw, since, count)
        else:
            entry, problem = check_line(raw, prev, expected, count)
        if problem:
            return bad(count, count, *problem)
        prev, expected = entry["hash"], entry["seq"] + 1
    if prev is None:
        return bad(
            since.count, since.count, "已驗證的日誌行已被刪除", "a verified line was removed"
        )
    if count != head.count or prev != head.hash:
        return bad(
            count,
            count,
            f"日誌結尾與記錄之鏈頭不符（{count} 行，鏈頭記 {head.count} 行）",
            f"log end does not match the recorded head ({count} lines, head says {head.count})",
        )
    return Verification(True, count)


def _same_line(raw: bytes, since: Head, number: int) -> tuple[dict | None, tuple | None]:
    """``raw`` is still the line ``since`` ends at (its seq and hash) and its hash holds."""
    try:
        entry = orjson.loads(raw)
        same = entry.get("seq") == since.seq and entry.get("hash") == since.hash
        prev = entry.get("prev_hash")
    except (orjson.JSONDecodeError, AttributeError):
        same, prev = False, None
    if not same:
        return None, ("已驗證的日誌行已被更動", "a verified line was changed")
    return check_line(raw, prev, since.seq, number)


def _stored(conn) -> Verified | None:
    row = conn.execute("SELECT value::text FROM tracker.meta WHERE key = %s", (MARKER,)).fetchone()
    if row is None:
        return None
    try:
        data = orjson.loads(row[0])
        return Verified(
            int(data["epoch"]), Head(int(data["count"]), int(data["seq"]), str(data["hash"]))
        )
    except (KeyError, TypeError, ValueError, orjson.JSONDecodeError):
        return None


def _as_json(state: Verified) -> dict:
    head = state.head
    return {"epoch": state.epoch, "count": head.count, "seq": head.seq, "hash": head.hash}
