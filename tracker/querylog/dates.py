"""Dates and times as NIA query-log exports and people write them.

:func:`parse_times` reads a whole column of export times at once (ISO,
slashes, ROC years, 年月日時分秒, 上午/下午, Excel serial numbers);
:func:`parse_day` reads one calendar day typed by a person (``--from``).
ROC (民國) years of two or three digits are Gregorian year - 1911.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# One pattern for ISO, slashes, ROC (2-3 digit year), 年月日時分秒 and 上午/下午; the
# time of day may be missing.  Written for both Python re and RE2 (pyarrow), hence
# [0-9] and no verbose mode.
_SP = "[ \t\u3000]*"
_TIME = (
    f"(?:(?:T|{_SP})(?P<ap>上午|下午|AM|PM|am|pm)?{_SP}"
    f"(?P<h>[0-9]{{1,2}}){_SP}(?:[:：]|時){_SP}(?P<mi>[0-9]{{1,2}}){_SP}"
    f"(?:(?:[:：]|分){_SP}(?P<s>[0-9]{{1,2}})(?:[.][0-9]+)?{_SP}秒?|分)?"
    f"{_SP}(?P<ap2>AM|PM|am|pm)?)?"
)
_DATE_PATTERN = (
    f"^{_SP}(?P<y>[0-9]{{2,4}}){_SP}(?:[-/.]|年){_SP}(?P<mo>[0-9]{{1,2}}){_SP}(?:[-/.]|月)"
    f"{_SP}(?P<d>[0-9]{{1,2}}){_SP}日?{_TIME}{_SP}$"
)
# Compact forms: ROC yyyMMdd or Gregorian yyyyMMdd, then optionally HHmm[ss]
# (with or without colons, after a space, a T or nothing).
_COMPACT_PATTERN = (
    f"^{_SP}(?P<y>[0-9]{{3}}|[0-9]{{4}})(?P<mo>[0-9]{{2}})(?P<d>[0-9]{{2}})"
    f"(?:(?:T|{_SP})(?P<h>[0-9]{{2}})[:：]?(?P<mi>[0-9]{{2}})(?:[:：]?(?P<s>[0-9]{{2}}))?)?{_SP}$"
)
_DATE_RE = re.compile(_DATE_PATTERN)
_COMPACT_RE = re.compile(_COMPACT_PATTERN)
_SERIAL_PATTERN = f"^{_SP}(?P<serial>[0-9]{{5}}(?:[.][0-9]+)?){_SP}$"
_PARTS = ("y", "mo", "d", "h", "mi", "s")
_EXCEL_UNIX_EPOCH = 25569  # serial of 1970-01-01 in Excel's 1900 date system


def parse_times(values: pa.StringArray) -> tuple[np.ndarray, np.ndarray]:
    """Seconds since 1970-01-01 (naive local time) and a readable mask, column-wise.

    A column holding full-width digits, colons or spaces is NFKC-normalised
    first.  Rows shaped byte for byte like the first row (machine exports) are
    read by byte position with numpy; the rest through the RE2 patterns, then
    as Excel serial numbers (1900 system).  A year of 2 or 3 digits is ROC (+1911).
    """
    if _has_full_width(values):
        values = pc.utf8_normalize(values, form="NFKC")
    seconds, readable, rest = _fixed_width(values)
    if rest.size:
        seconds[rest], readable[rest] = _by_pattern(values.take(pa.array(rest)))
    return seconds, readable


def _fixed_width(values: pa.StringArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seconds and readable mask for the rows with the first row's byte shape,
    and the indices of the other rows (left for the pattern)."""
    n = len(values)
    text = (values[0].as_py() or "") if n else ""
    first = _DATE_RE.match(text) or _COMPACT_RE.match(text)
    if not first or first.groupdict().get("ap") or first.groupdict().get("ap2"):
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool), np.arange(n)
    offsets = np.frombuffer(values.buffers()[1], np.int32)[values.offset :][: n + 1]
    fits = np.diff(offsets) == len(first.string.encode())
    rows = values if fits.all() else values.filter(pa.array(fits))
    parts, same = _grid_parts(rows, first)
    secs, ok = _compose(parts, len(first["y"]) <= 3)
    if len(rows) == n and same.all():
        return secs, ok, np.zeros(0, dtype=np.int64)
    seconds, readable, done = np.zeros(n, np.int64), np.zeros(n, bool), np.zeros(n, bool)
    where = np.flatnonzero(fits)[same]
    seconds[where], readable[where], done[where] = secs[same], ok[same], True
    return seconds, readable, np.flatnonzero(~done)


def _grid_parts(rows: pa.StringArray, first: re.Match) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Date parts of equal-length ``rows`` read by byte position, and which rows
    have exactly the first row's shape (digits where it has digits, same bytes elsewhere)."""
    template = np.frombuffer(first.string.encode(), dtype=np.uint8)
    start = np.frombuffer(rows.buffers()[1], np.int32)[rows.offset]
    grid = np.frombuffer(rows.buffers()[2], np.uint8)[start : start + len(rows) * template.size]
    grid = np.ascontiguousarray(grid.reshape(len(rows), template.size).T)  # one row per byte
    same = np.ones(len(rows), dtype=bool)
    for position, byte in enumerate(template):  # row by row: no grid-sized temporaries
        same &= (grid[position] - np.uint8(48) <= 9) if 48 <= byte <= 57 else grid[position] == byte
    return {name: _digits(grid, first, name) for name in _PARTS}, same


def _digits(grid: np.ndarray, match: re.Match, name: str) -> np.ndarray:
    """The number in group ``name`` of every row of the transposed byte grid
    (int16: a group has at most four digits)."""
    if match[name] is None:
        return np.zeros(grid.shape[1], dtype=np.int16)
    a, b = (len(match.string[:i].encode()) for i in match.span(name))
    value = np.subtract(grid[a], 48, dtype=np.int16)
    for position in range(a + 1, b):
        value *= 10
        value += grid[position]
        value -= 48
    return value


def _has_full_width(values: pa.StringArray) -> bool:
    """Whether any cell holds a full-width form (U+FF01-U+FF5E: UTF-8 lead byte
    0xEF) or an ideographic space (U+3000: E3 80 80).  One numpy pass over the
    bytes, and none at all for an ASCII column."""
    data = values.buffers()[2]
    if data is None:
        return False
    view = np.frombuffer(data, dtype=np.uint8)
    if view.max(initial=0) < 0x80:
        return False
    return bool(np.any(view == 0xEF)) or b"\xe3\x80\x80" in data.to_pybytes()


def _by_pattern(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    found = pc.extract_regex(values, _DATE_PATTERN)
    compact = pc.extract_regex(values, _COMPACT_PATTERN)  # never both: it has no separators
    matched = np.asarray(found.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    matched |= np.asarray(compact.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    fields = {
        name: pc.coalesce(pc.struct_field(found, name), pc.struct_field(compact, name))
        for name in _PARTS
    }
    parts = {name: _ints(fields[name]) for name in _PARTS}
    years = fields["y"].fill_null("0000")
    roc = np.asarray(pc.utf8_length(years).to_numpy(zero_copy_only=False)) <= 3
    ampm = pc.binary_join_element_wise(
        pc.struct_field(found, "ap").fill_null(""), pc.struct_field(found, "ap2").fill_null(""), ""
    )
    pm = np.asarray(pc.is_in(ampm, pa.array(["下午", "PM", "pm"])).to_numpy(zero_copy_only=False))
    am = np.asarray(pc.is_in(ampm, pa.array(["上午", "AM", "am"])).to_numpy(zero_copy_only=False))
    hours = parts["h"]
    parts["h"] = np.where(pm & (hours < 12), hours + 12, np.where(am & (hours == 12), 0, hours))
    seconds, ok = _compose(parts, roc=roc)
    ok &= matched & ~((pm | am) & (hours > 12))
    serial = pc.cast(
        pc.struct_field(pc.extract_regex(values, _SERIAL_PATTERN), "serial"), pa.float64()
    )
    serial = np.asarray(serial.to_numpy(zero_copy_only=False), dtype=float)
    is_serial = ~matched & ~np.isnan(serial)
    seconds[is_serial] = np.rint((serial[is_serial] - _EXCEL_UNIX_EPOCH) * 86400).astype(np.int64)
    return seconds, ok | is_serial


def _ints(values: pa.Array) -> np.ndarray:
    filled = pc.if_else(pc.equal(values.fill_null(""), ""), "0", values.fill_null("0"))
    return np.asarray(pc.cast(filled, pa.int64()).to_numpy(zero_copy_only=False))


def _compose(parts: dict[str, np.ndarray], roc) -> tuple[np.ndarray, np.ndarray]:
    """Seconds since the epoch from calendar parts, and which parts make a real time.

    ``roc`` (one flag, or one per row) adds 1911 to the year.  Every part has at
    most four digits (two for the month), so ``year * 100 + month`` stays
    inside the :func:`_calendar` tables.
    """
    month_start, month_length = _calendar()
    year_month = parts["y"].astype(np.int32)
    year_month += np.where(roc, 1911, 0) if np.ndim(roc) else (1911 if roc else 0)
    year_month *= 100
    year_month += parts["mo"]
    day, hour, minute, second = parts["d"], parts["h"], parts["mi"], parts["s"]
    ok = (day >= 1) & (day <= month_length[year_month])
    ok &= (hour < 24) & (minute < 60) & (second < 60)
    days = month_start[year_month]
    days += day - 1
    time_of_day = hour.astype(np.int32) * 3600
    time_of_day += minute * 60
    time_of_day += second
    seconds = days.astype(np.int64)
    seconds *= 86400
    seconds += time_of_day
    if not ok.all():
        seconds[~ok] = 0
    return seconds, ok


@functools.cache
def _calendar() -> tuple[np.ndarray, np.ndarray]:
    """Tables indexed by ``year * 100 + month``: days from 1970-01-01 to the first
    of the month, and the month's length (0 where year < 1912 or month not 1-12)."""
    year = np.arange(10000, dtype=np.int64)[:, None]
    month = np.arange(100, dtype=np.int64)[None, :]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    lengths = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] + [0] * 87)
    length = lengths[month] + ((month == 2) & leap)
    before = np.concatenate([[0], np.cumsum(lengths)])[:100][month] + ((month > 2) & leap)
    prior = year - 1
    year_start = (year - 1970) * 365 + prior // 4 - prior // 100 + prior // 400 - 477
    length = np.where(year >= 1912, length, 0)
    return (year_start + before).ravel().astype(np.int32), length.ravel().astype(np.int32)
