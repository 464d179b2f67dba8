"""Cells of the workbooks the tool writes: text stays text, whatever it says.

openpyxl infers a cell's type from its value: a string that starts with
``=`` becomes a formula (an imported 查詢事由 of ``=HYPERLINK(...)`` would be a
live link in the audit record), one of Excel's error codes (``#N/A``)
becomes an error value, and control characters make it raise.  Every string
the tool puts in a workbook (most of them typed by someone: names, reasons,
imported query-log cells) goes through :func:`text_cell`, which stores it as
a string cell and marks text that a spreadsheet would otherwise take for a
formula with Excel's quote prefix, so that editing the cell keeps it text.
Numbers, dates and ``None`` are left as they are (:func:`row_cells`).
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_CELL_CHARS = 32_767  # Excel's limit for one cell
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
REPLACEMENT = "\ufffd"  # for control characters a worksheet cannot hold


def text_cell(sheet, value: str):
    """A cell of ``sheet`` holding ``value`` as text: never a formula or an error value.

    Control characters other than tab and line breaks become U+FFFD (a
    worksheet cannot hold them); text over Excel's 32,767-character limit is
    cut there and ends with ``…``.
    """
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

    text = ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT, str(value))
    if len(text) > MAX_CELL_CHARS:
        text = text[: MAX_CELL_CHARS - 1] + "…"
    cell = Cell(sheet)
    cell._value = text  # set directly: assigning .value would infer a formula
    cell.data_type = "s"
    if text.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    return cell


def row_cells(sheet, values: Iterable) -> list:
    """``values`` ready for ``sheet.append``: every string as a :func:`text_cell`."""
    return [text_cell(sheet, v) if isinstance(v, str) else v for v in values]
