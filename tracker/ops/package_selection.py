"""What goes into the auditor's package for a period (see :mod:`tracker.ops.package`).

Which records are "of the period":

* evidence — uploaded on or before the last day and still current on or after
  the first day (current as :func:`tracker.ops.retention_report.currency_end` reads it:
  until rejected, superseded or expired), which includes everything uploaded or
  decided within the period;
* audit records — evidence of kind ``audit_record`` whose audit covers days of
  the period or was closed within it (by upload day when the audit is unknown);
* activity log — every line written on a day of the period.  The extract is
  not narrowed to the agency or vendor: leaving lines out would break the chain
  an inspector is meant to check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import orjson

from tracker.activitylog.chain import GENESIS, entry_instant, is_anchor
from tracker.core import clock
from tracker.core.errors import InvalidInput
from tracker.domain.audits import SelfAudit
from tracker.domain.evidence import Evidence
from tracker.ops.retention_report import currency_end, successors


@dataclass(frozen=True)
class Period:
    """Both days included."""

    start: date
    end: date

    def __post_init__(self):
        if self.start > self.end:
            raise InvalidInput(
                "期間起日晚於迄日", f"the period starts ({self.start}) after it ends ({self.end})"
            )

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


def select_evidence(store, period: Period, today: date, agency_id=None, vendor_id=None):
    """(evidence, audit records) of the period and scope, each sorted by upload time."""
    records = [
        e
        for e in store.all(Evidence)
        if (agency_id is None or e.agency_id == agency_id)
        and (vendor_id is None or e.vendor_id == vendor_id)
    ]
    audits = {a.id: a for a in store.all(SelfAudit)}
    newer = successors(store.all(Evidence))
    evidence, audit_records = [], []
    for ev in records:
        if ev.kind == "audit_record":
            if _audit_in_period(ev, audits.get(ev.subject_id), period):
                audit_records.append(ev)
        elif _current_during(ev, newer.get(ev.id), period, today):
            evidence.append(ev)
    key = lambda e: (e.uploaded_at, e.id)  # noqa: E731
    return sorted(evidence, key=key), sorted(audit_records, key=key)


def _current_during(ev: Evidence, newer: Evidence | None, period: Period, today: date) -> bool:
    if clock.local_date(ev.uploaded_at) > period.end:
        return False
    ended = currency_end(ev, newer, today)
    return ended is None or ended >= period.start


def _audit_in_period(ev: Evidence, audit: SelfAudit | None, period: Period) -> bool:
    if audit is None:
        return period.covers(clock.local_date(ev.uploaded_at))
    last = audit.period_end
    overlaps = audit.period_start <= period.end and last >= period.start
    return overlaps or (audit.closed_on is not None and period.covers(audit.closed_on))


def log_extract(store, period: Period) -> tuple[list[bytes], str]:
    """The raw log lines written on the period's days, and the text of ``chain.txt``."""
    lines: list[bytes] = []
    before_hash, before_seq, instant = GENESIS, 0, None
    raw_lines = (
        store.log.raw_lines()
        if not store.memory
        else (orjson.dumps(e) + b"\n" for e in store.log.entries())
    )
    for raw in raw_lines:
        entry = orjson.loads(raw)
        instant = None if is_anchor(entry) else (entry_instant(entry) or instant)
        day = clock.local_date(instant) if instant else None
        if day is None or day < period.start:
            if not lines:
                before_hash, before_seq = entry["hash"], entry["seq"]
            continue
        if day > period.end:
            break
        lines.append(raw if raw.endswith(b"\n") else raw + b"\n")
    head = store.log.head()
    return lines, _chain_text(period, lines, before_seq, before_hash, head)


def _chain_text(period: Period, lines: list[bytes], before_seq: int, before_hash: str, head) -> str:
    first = orjson.loads(lines[0]) if lines else None
    last = orjson.loads(lines[-1]) if lines else None
    return "\n".join(
        [
            "# 操作日誌節錄之雜湊鏈 / hash chain of the activity-log extract",
            f"period: {period.start.isoformat()}..{period.end.isoformat()}",
            f"lines: {len(lines)}",
            f"first_seq: {first['seq'] if first else ''}",
            f"last_seq: {last['seq'] if last else ''}",
            f"seq_before_first_line: {before_seq}",
            f"hash_before_first_line: {before_hash}",
            f"last_hash: {last['hash'] if last else before_hash}",
            f"log_head_at_packaging: count={head.count} seq={head.seq} hash={head.hash}",
            "",
        ]
    )
