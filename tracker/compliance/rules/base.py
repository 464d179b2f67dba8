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


def missing_by(due: date, today: date, ctx: Context, zh: str, en: str) -> Finding:
    """Not done yet: overdue after ``due``, due soon within the catalogue's window, else missing."""
    if today > due:
        return Finding(Status.OVERDUE, f"{zh}（已逾期）", f"{en} (overdue)", due)
    if (due - today).days <= ctx.catalogue.due_soon_days:
        return Finding(Status.DUE_SOON, zh, en, due)
    return Finding(Status.MISSING, zh, en, due)
