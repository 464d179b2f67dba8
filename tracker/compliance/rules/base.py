"""What a fact check returns, and the shared "not done yet" reading of a due date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from tracker.domain.enums import Status

if TYPE_CHECKING:
    from tracker.compliance.results import Context


@dataclass(frozen=True)
class Finding:
    """A check's verdict when the facts do not (yet) satisfy an obligation."""

    status: Status
    zh: str
    en: str
    due: date | None = None


def lateness(due: date, today: date, due_soon_days: int) -> Status:
    """Something not done by ``today``: overdue after ``due``, due soon within the window, else missing.

    The one reading of the thresholds, for fact checks and evidence alike;
    ``due_soon_days`` is the catalogue's window (30 days unless it says otherwise).
    """
    if today > due:
        return Status.OVERDUE
    if (due - today).days <= due_soon_days:
        return Status.DUE_SOON
    return Status.MISSING


def missing_by(due: date, today: date, ctx: Context, zh: str, en: str) -> Finding:
    """A fact check's "not done yet" finding, by :func:`lateness`."""
    status = lateness(due, today, ctx.catalogue.due_soon_days)
    if status is Status.OVERDUE:
        return Finding(status, f"{zh}（已逾期）", f"{en} (overdue)", due)
    return Finding(status, zh, en, due)
