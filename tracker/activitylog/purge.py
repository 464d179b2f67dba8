"""Retention purge of the activity log (point 7.1: kept at least five years).

A purge replaces the oldest lines with one ``anchor`` line.  The anchor copies
``seq``, ``prev_hash`` and ``hash`` of the last purged line, so the first kept
line still chains onto it, and carries ``anchor_digest`` (SHA-256 of its other
fields) for its own integrity.  Before the rewrite the caller appends an
ordinary chained line (:func:`vouching_entry`, action ``activity_log_purged``)
naming the anchor's seq and hash; verification accepts an anchor only as line
1 and only when such a later line vouches for it, so a forged anchor needs a
forged chained line too.

The steps, for the store (which holds its lock and writes its base snapshot
first, so its tables can still be rebuilt without the purged lines):
:func:`plan_purge`, append :func:`vouching_entry`, :func:`rewrite_without_prefix`
(journal, replace, head), then :func:`finish`.  After a crash between the
replace and :func:`finish`, :func:`recover_interrupted_purge` completes the head.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson

from tracker.activitylog.chain import (
    ANCHOR_KIND,
    PURGE_ACTION,
    PURGE_JOURNAL_NAME,
    Head,
    anchor_digest,
    entry_instant,
    is_anchor,
)
from tracker.activitylog.log import ActivityLog
from tracker.core.fileio import atomic_write, fsync_dir, fsync_file


@dataclass(frozen=True)
class PurgePlan:
    """What a purge removes: ``lines`` real lines (an older anchor aside), seq ``first_seq``..``last_seq``."""

    lines: int
    first_seq: int
    last_seq: int
    last_prev_hash: str
    last_hash: str
    last_at: str | None


def plan_purge(log: ActivityLog, before: datetime) -> PurgePlan | None:
    """The leading lines written before ``before`` (``None`` when there are none).

    A line without a readable ``at`` goes with the line before it; an existing
    anchor is always replaced by the new one.  Only a prefix is ever purged,
    so the chain of what remains is untouched.
    """
    last, first_seq, lines, instant = None, None, 0, None
    for raw in log.raw_lines():
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


def vouching_entry(plan: PurgePlan, before: datetime, *, actor: str, now: datetime) -> dict:
    """The ``activity_log_purged`` entry to append before :func:`rewrite_without_prefix`."""
    return {
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


def rewrite_without_prefix(log: ActivityLog, plan: PurgePlan, now: datetime) -> Head:
    """Replace the log by the anchor and the lines after the plan; returns the new head.

    Order: the new log to a temporary file, a journal naming the new head and
    the anchor, the atomic replace, the head (fsynced).  The journal stays
    until :func:`finish`.
    """
    head = log.head()
    anchor = anchor_line(plan, now)
    kept = [0]

    def write(out) -> None:
        out.write(orjson.dumps(anchor) + b"\n")
        for raw in log.raw_lines():
            entry = orjson.loads(raw)
            if not is_anchor(entry) and entry["seq"] > plan.last_seq:
                out.write(raw)
                kept[0] += 1

    staged = log.path.with_name(f".{log.path.name}.purge.tmp")
    atomic_write(staged, write)
    new = Head(kept[0] + 1, head.seq, head.hash, staged.stat().st_size)
    journal = {"count": new.count, "seq": new.seq, "hash": new.hash}
    atomic_write(
        journal_path(log), orjson.dumps(dict(journal, anchor_digest=anchor["anchor_digest"]))
    )
    staged.replace(log.path)
    fsync_dir(log.path.parent)
    log.write_head(new)
    fsync_file(log.head_path)
    return new


def finish(log: ActivityLog) -> None:
    """The purge is complete: drop its journal."""
    journal_path(log).unlink(missing_ok=True)


def recover_interrupted_purge(log: ActivityLog) -> Head | None:
    """Complete a purge that replaced the log but crashed before :func:`finish`.

    If the log's first line is the journal's anchor, the head is set from the
    journal (with the log's size) and returned; the caller then finishes its own
    steps and calls :func:`finish`.  If the log was never replaced, the journal
    is dropped and ``None`` returned.
    """
    try:
        journal = orjson.loads(journal_path(log).read_bytes())
    except FileNotFoundError:
        return None
    except orjson.JSONDecodeError:
        finish(log)
        return None
    log.path.with_name(f".{log.path.name}.purge.tmp").unlink(missing_ok=True)
    first = next(iter(log.raw_lines()), b"")
    try:
        entry = orjson.loads(first) if first else {}
    except orjson.JSONDecodeError:
        entry = {}
    if not (
        is_anchor(entry)
        and entry.get("anchor_digest") == journal.get("anchor_digest")
        and journal.get("count")
    ):
        finish(log)
        return None
    head = Head(int(journal["count"]), int(journal["seq"]), str(journal["hash"]), log.size())
    log.write_head(head)
    fsync_file(log.head_path)
    return head


def journal_path(log: ActivityLog):
    return log.path.with_name(PURGE_JOURNAL_NAME)


def anchor_line(plan: PurgePlan, now: datetime) -> dict:
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
