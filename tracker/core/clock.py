"""Time in the agency's zone (Asia/Taipei) and the dates people read.

Instants are stored timezone-aware; a date "today" is the Taipei calendar day.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

TAIPEI = ZoneInfo("Asia/Taipei")


def now() -> datetime:
    """The current instant, aware, in Taipei time."""
    return datetime.now(TAIPEI)


def today() -> date:
    """Today's date in Taipei."""
    return now().date()


def local_date(instant: datetime) -> date:
    """The Taipei calendar day of ``instant`` (a naive value is taken as Taipei time)."""
    if instant.tzinfo is None:
        return instant.date()
    return instant.astimezone(TAIPEI).date()


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)
