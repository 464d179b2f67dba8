"""Retention purge of the activity log (point 7.1: kept at least five years).

A purge replaces the oldest lines with one ``anchor`` line that copies the
chain values of the last purged line, after appending an ordinary chained
``activity_log_purged`` line that vouches for it; see :mod:`tracker.activitylog.log`.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson

from tracker.activitylog.chain import (
    ANCHOR_KIND,
    PURGE_ACTION,
    PURGE_JOURNAL_NAME,
    Head,
    anchor_digest,
    entry_instant,
    fsync_file,
    is_anchor,
)


class PurgeMixin:
    """The purge half of :class:`tracker.activitylog.log.ActivityLog` (uses its head, verify and append)."""

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
        from tracker.core.errors import StoreError

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
        fsync_file(self.head_path)  # the journal goes next: the new head must be on disk first
        self.journal_path.unlink(missing_ok=True)
        return plan

    @property
    def journal_path(self) -> Path:
        return self.path.with_name(PURGE_JOURNAL_NAME)

    def _rewrite_without_prefix(self, plan: PurgePlan, anchor: dict) -> int:
        """Write anchor + the lines after the purged prefix to a temp file and replace the log; returns kept lines."""
        from tracker.core.fileio import atomic_write, fsync_dir

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
