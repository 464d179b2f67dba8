"""Reading an XLSX query-log export (查詢紀錄, point 7.2) with openpyxl.

The sheet used is the first whose header (within its first 20 rows) has the
required columns, else the first sheet's first non-empty row (so the message
names what is missing).  Date cells and serial day numbers in the time column
become ISO text here (a number of seven or more digits there is a compact
date such as ``1140302``, kept as its digits); everything else is read as
text.  ``line`` is the row number in the sheet.  A last non-empty row that is
a totals row (合計 N 筆) is left out of the records and returned for
:func:`tracker.querylog.checks.assemble` to compare with the record count.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa

from tracker.querylog.checks import examine, not_a_log, text_column, totals_count
from tracker.querylog.headers import field_index, map_headers
from tracker.querylog.schema import REQUIRED, TotalsRow

COMPACT_DATE = 1_000_000  # a number from here on in the time column is yyyMMdd..., not a serial


def read_xlsx(buf: pa.Buffer):
    """Headers, field index, one examined piece, its sheet row numbers and the totals row.

    Raises InvalidInput for a damaged workbook, one without sheets, or a header
    that :func:`tracker.querylog.headers.map_headers` refuses.
    """
    import openpyxl  # slow to import; only XLSX needs it

    try:
        book = openpyxl.load_workbook(io.BytesIO(buf.to_pybytes()), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise not_a_log("XLSX 檔案損毀", f"damaged XLSX: {type(exc).__name__}") from None
    try:
        found = [(sheet, *_header(sheet)) for sheet in book.worksheets]
        usable = [f for f in found if set(REQUIRED) <= set(field_index(f[2]))]
        if not found:
            raise not_a_log("XLSX 沒有工作表", "an XLSX without worksheets")
        sheet, row_number, headers = (usable or found)[0]
        index = map_headers(headers)
        cells, lines, totals = _cells(sheet, row_number, headers, index, book.epoch)
        return headers, index, [examine(cells)], lines, totals
    finally:
        book.close()


def _header(sheet) -> tuple[int, list[str]]:
    """(row number, names) of the header: 0 and [] for an empty sheet."""
    first = (0, [])
    for number, values in enumerate(sheet.iter_rows(min_row=1, max_row=20, values_only=True), 1):
        names = ["" if v is None else str(v).strip() for v in values]
        if any(names) and not first[0]:
            first = (number, names)
        if set(REQUIRED) <= set(field_index(names)):
            return number, names
    return first


def _cells(sheet, header_row: int, headers: list[str], index: dict[str, int], epoch):
    from openpyxl.utils.datetime import from_excel

    time_column = index["queried_at"]
    columns: list[list[str]] = [[] for _ in headers]
    lines, last = [], -1  # last: the index of the last row with a non-blank cell
    rows = sheet.iter_rows(min_row=header_row + 1, values_only=True) if header_row else ()
    for number, values in enumerate(rows, header_row + 1):
        values = (tuple(values) + (None,) * len(headers))[: len(headers)]
        texts = [_cell_text(_time_value(v, epoch, from_excel) if p == time_column else v)
                 for p, v in enumerate(values)]  # fmt: skip
        for position, text in enumerate(texts):
            columns[position].append(text)
        if any(text.strip() for text in texts):
            last = len(lines)
        lines.append(number)
    totals = None
    count = totals_count(column[last] for column in columns) if last >= 0 else None
    if count is not None:  # the totals row and any blank rows after it are no records
        totals = TotalsRow(lines[last], count)
        columns, lines = [column[:last] for column in columns], lines[:last]
    cells = {name: text_column(columns[position]) for name, position in index.items()}
    return cells, np.array(lines, dtype=np.int64), totals


def _time_value(value, epoch, from_excel):
    """A time cell: a serial day number becomes a datetime, a compact date its digits."""
    if type(value) not in (int, float):
        return value
    if value >= COMPACT_DATE:
        return value  # 1140302 or 1140302140506 as a number: _cell_text keeps the digits
    return _serial(value, epoch, from_excel)


def _serial(value: float, epoch, from_excel):
    """An Excel serial number as a datetime, or the number when it is none."""
    try:
        return from_excel(value, epoch)
    except (ValueError, OverflowError):
        return value


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):  # to the nearest second: Excel stores fractions of a day
        return (value + timedelta(microseconds=500_000)).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
