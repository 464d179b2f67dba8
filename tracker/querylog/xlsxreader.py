"""Reading an XLSX query-log export (查詢紀錄, point 7.2) with openpyxl.

The sheet used is the first whose header (within its first 20 rows) has the
required columns, else the first sheet's first non-empty row (so the message
names what is missing).  Date cells and serial day numbers in the time column
become ISO text here; everything else is read as text.  ``line`` is the row
number in the sheet.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa

from tracker.querylog.checks import Piece, examine, field_index, map_headers, not_a_log, text_column
from tracker.querylog.schema import REQUIRED


def read_xlsx(buf: pa.Buffer) -> tuple[list[str], dict[str, int], list[Piece], np.ndarray]:
    """Headers, field index, one examined piece and its sheet row numbers.

    Raises InvalidInput for a damaged workbook, one without sheets, or a header
    that :func:`tracker.querylog.checks.map_headers` refuses.
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
        cells, lines = _cells(sheet, row_number, headers, index, book.epoch)
        return headers, index, [examine(cells)], lines
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
    lines = []
    rows = sheet.iter_rows(min_row=header_row + 1, values_only=True) if header_row else ()
    for number, values in enumerate(rows, header_row + 1):
        values = (tuple(values) + (None,) * len(headers))[: len(headers)]
        for position, value in enumerate(values):
            if position == time_column and type(value) in (int, float):  # a serial day number
                value = _serial(value, epoch, from_excel)
            columns[position].append(_cell_text(value))
        lines.append(number)
    cells = {name: text_column(columns[position]) for name, position in index.items()}
    return cells, np.array(lines, dtype=np.int64)


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
