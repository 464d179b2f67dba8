"""Dates in the Republic of China (民國) calendar, as Taiwanese forms print them.

ROC year = Gregorian year - 1911, so 2026-03-02 is 民國 115 年 3 月 2 日 or
``115/03/02``.  Only years from 民國 1 (1912) are representable.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from datetime import date

from tracker.core.errors import InvalidInput

ROC_OFFSET = 1911

_ERA = re.compile(r"^(?:中華民國|民國)\s*")
_LONG = re.compile(r"(?<!\d)(\d{1,3})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_SHORT = re.compile(r"(?<!\d)(\d{2,3})\s*([/.\-])\s*(\d{1,2})\s*\2\s*(\d{1,2})(?!\d)")
_ISO = re.compile(r"(?<!\d)(\d{4})\s*([/.\-])\s*(\d{1,2})\s*\2\s*(\d{1,2})(?!\d)")
_WESTERN_LONG = re.compile(r"(?<!\d)(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_GREGORIAN_DAY = re.compile(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*")


def roc_year(d: date) -> int:
    """The ROC year of ``d``; raises InvalidInput before 民國 1 (1912)."""
    year = d.year - ROC_OFFSET
    if year < 1:
        raise InvalidInput(f"{d.isoformat()} 早於民國元年", f"{d.isoformat()} is before ROC year 1")
    return year


def roc_date(d: date) -> str:
    """``date(2026, 3, 2)`` -> ``"民國 115 年 3 月 2 日"`` (the long form on forms)."""
    return f"民國 {roc_year(d)} 年 {d.month} 月 {d.day} 日"


def roc_short(d: date) -> str:
    """``date(2026, 3, 2)`` -> ``"115/03/02"``."""
    return f"{roc_year(d)}/{d.month:02d}/{d.day:02d}"


def parse_roc(text: str) -> date:
    """Parse one ROC date: ``民國 115 年 3 月 2 日``, ``115年3月2日``, ``115/03/02``.

    ``.`` and ``-`` are accepted as separators in the short form; full-width
    digits are accepted.  Raises InvalidInput for anything else, including an
    impossible day such as ``115/02/30``.
    """
    cleaned = _ERA.sub("", _to_ascii_digits(text.strip()))
    match = _LONG.fullmatch(cleaned) or _SHORT.fullmatch(cleaned)
    if not match:
        raise InvalidInput(f"無法辨識的民國日期：{text!r}", f"not an ROC date: {text!r}")
    year, month, day = (int(g) for g in match.groups() if g not in "/.-")
    return _make(year + ROC_OFFSET, month, day, text)


def parse_day(text: str) -> date:
    """A calendar day written ``2025-03-02``, ``2025/3/2``, ``2025年3月2日`` or ROC
    ``114/03/02``, ``114年3月2日``, ``民國 114 年 3 月 2 日`` (ROC forms as
    :func:`tracker.core.dates.parse_roc` reads them; full-width digits too).

    Raises InvalidInput, naming both accepted forms, for anything else; a day written in an
    accepted form that does not exist (``115/02/30``, ``2026-02-30``) is refused as such.
    """
    normal = unicodedata.normalize("NFKC", text or "").strip()
    cleaned = _ERA.sub("", _to_ascii_digits(normal))
    if _LONG.fullmatch(cleaned) or _SHORT.fullmatch(cleaned):
        return parse_roc(normal)  # raises for an impossible day
    m = _GREGORIAN_DAY.fullmatch(normal)
    if m is None:
        raise InvalidInput(
            f"日期「{text}」無法辨識，請用 2025-03-02 或民國 114/03/02",
            f"unreadable date {text!r}: use 2025-03-02 or ROC 114/03/02",
        )
    return _make(int(m[1]), int(m[2]), int(m[3]), text)


def find_dates(text: str) -> list[date]:
    """Every plausible date written in ``text``, in order of appearance.

    Recognises ROC long (``115年3月2日``) and short (``115/03/02``) forms and
    Gregorian ``2026-03-02``, ``2026/3/2`` and ``2026年3月2日``.  Strings that
    look like dates but are impossible (month 13) are skipped, not raised.
    """
    text = _to_ascii_digits(text)
    found: list[tuple[int, date]] = []
    for pattern, offset in ((_LONG, ROC_OFFSET), (_SHORT, ROC_OFFSET), (_ISO, 0)):
        for m in pattern.finditer(text):
            year, month, day = (int(g) for g in m.groups() if g not in "/.-")
            _collect(found, m.start(), year + offset, month, day)
    for m in _WESTERN_LONG.finditer(text):
        _collect(found, m.start(), *(int(g) for g in m.groups()))
    return [d for _, d in sorted(found, key=lambda item: item[0])]


def _collect(found: list[tuple[int, date]], position: int, year: int, month: int, day: int):
    with contextlib.suppress(InvalidInput):  # impossible dates are not dates
        found.append((position, _make(year, month, day, "")))


def _make(year: int, month: int, day: int, original: str) -> date:
    try:
        if year <= ROC_OFFSET:
            raise ValueError("before ROC year 1")
        return date(year, month, day)
    except ValueError as exc:
        raise InvalidInput(
            f"日期「{original}」不存在（{_why_impossible(year, month, day)}）",
            f"impossible date {original!r}: {exc}",
        ) from None


def _why_impossible(year: int, month: int, day: int) -> str:
    if year <= ROC_OFFSET:
        return "早於民國元年"
    if not 1 <= month <= 12:
        return "月份須為 1 至 12"
    last = (date(year + month // 12, month % 12 + 1, 1) - date(year, month, 1)).days
    return f"{year - ROC_OFFSET} 年 {month} 月只有 {last} 日"


_FULL_WIDTH = {0xFF10 + i: 0x30 + i for i in range(10)} | {0xFF0F: 0x2F}


def _to_ascii_digits(text: str) -> str:
    return text.translate(_FULL_WIDTH)
