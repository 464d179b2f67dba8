"""Dates as people in the agency write them: ROC ``115/03/02`` typed into a text field.

Streamlit's own date picker shows and takes ``yyyy/mm/dd`` only, silently moves an impossible day
(2026/02/30 became 02/28) and marks a day past its limit with a red outline while keeping the old
value.  :func:`date_text` is a plain text field prefilled in ROC form; :func:`read_date` reads it
when the form is sent (``114/03/02``, ``民國 114 年 3 月 2 日`` and ISO ``2025-03-02`` are accepted,
:func:`tracker.core.dates.parse_day`) and raises InvalidInput, naming the field, for an empty,
unreadable or impossible day, or a future one where the day must have passed.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from tracker.core import clock
from tracker.core.dates import parse_day, roc_short
from tracker.core.errors import InvalidInput

HELP = "民國年/月/日，例如 115/03/02；亦可輸入西元 2026-03-02"


def date_text(
    label: str, default: date | None = None, *, key: str | None = None, container=None
) -> str:
    """A text field for one day, prefilled with ``default`` in ROC form (empty for ``None``)."""
    where = container or st
    return where.text_input(
        label,
        value=roc_short(default) if default else "",
        key=key,
        placeholder="例：115/03/02",
        help=HELP,
        max_chars=20,
    )


def read_date(text: str, name: str, *, past: bool = True, required: bool = True) -> date | None:
    """The day typed for the field ``name``; ``None`` for an empty optional field.

    ``past``: the day may not be after today (a departure, a review, a signature).
    """
    text = (text or "").strip()
    if not text:
        if required:
            raise InvalidInput(f"請填寫{name}", f"{name} is required")
        return None
    try:
        day = parse_day(text)
    except InvalidInput as exc:
        raise InvalidInput(f"{name}：{exc.message_zh}", exc.message_en) from None
    if past and day > clock.today():
        raise InvalidInput(
            f"{name}不得晚於今天（{roc_short(clock.today())}）", f"{name} is in the future"
        )
    return day
