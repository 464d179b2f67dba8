"""A message before it is queued: its recipient, its items and what the subject line says.

Drafts are plain values built by :mod:`tracker.notify.digests` and
:mod:`tracker.notify.notices`; :mod:`tracker.notify.outbox` turns them into
stored records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from tracker.domain.outbox import Audience, MessageKind

# Reminder steps, stored with each item and shown in the JSON as "step".
DUE_STEPS = {30: "due_30", 7: "due_7", 1: "due_1"}  # days before the due date
OVERDUE_NEW = "overdue_new"  # the first day an item is overdue (the day after its due date)
OVERDUE_WEEKLY = "overdue_weekly"  # every Monday while overdue
REVIEW = "review"  # the IT office's daily digest: waiting for review
OVERDUE_DAILY = "overdue_daily"  # the IT office's daily digest: overdue vendor items
REMOVAL = "removal"  # the account manager: an account awaiting removal (5.3), daily
WEEKLY_SUMMARY = "weekly_summary"  # managers, every Monday
INCIDENT = "incident"  # notice: a vendor reported an incident (8.3)
VIOLATION = "violation"  # notice: a not-legitimate finding (7.3)

WEEKLY_DAY = 0  # Monday (date.weekday())


def item(
    *,
    obligation_id: str,
    subject_kind: str,
    subject_id: str,
    due: date | None,
    status: str,
    step: str,
    title: str,
    subject_label: str,
    page: str,
    vendor_name: str = "",
    **extra,
) -> dict:
    """One item as stored and printed: the five keys of the JSON contract first, then the rest."""
    return {
        "obligation_id": obligation_id,
        "subject_kind": str(subject_kind),
        "subject_id": subject_id,
        "due": due.isoformat() if due else None,
        "status": str(status),
        "step": step,
        "title": title,
        "subject_label": subject_label,
        "vendor_name": vendor_name,
        "page": page,
        **extra,
    }


def item_key(it: dict) -> str:
    """What makes an item the same item for the same recipient on the same day."""
    extra = f"/{it['record_id']}" if it.get("record_id") else ""
    return f"{it['obligation_id']}/{it['subject_kind']}/{it['subject_id']}{extra}/{it['step']}"


@dataclass(frozen=True)
class Draft:
    """A message not yet queued.

    ``parties`` are the vendor or agency ids whose ``audiences`` addresses
    ``to`` holds; ``names`` their names, for the greeting.  ``event`` ties a
    notice to its cause.  ``intro`` and ``details`` are extra lines the body shows.
    """

    kind: MessageKind
    audiences: tuple[Audience, ...]
    parties: tuple[str, ...]
    names: tuple[str, ...]
    to: tuple[str, ...]
    day: date
    items: tuple[dict, ...]
    subject: str
    vendor_id: str | None = None
    agency_id: str | None = None
    event: str = ""
    intro: str = ""
    details: tuple[tuple[str, str], ...] = field(default_factory=tuple)
