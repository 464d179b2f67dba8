"""The dashboard's tables as an Excel workbook (the PDF report is :mod:`tracker.services.report_pdf`).

The tables themselves are :mod:`tracker.services.dashboard`'s, so the screen, the workbook and the
PDF show the same numbers from the same report.  People read both files: dates are ROC
(``115/03/02``), records are named, never shown by internal id (:func:`export_rows`), and the
files are named in zh-TW (:func:`export_file_name`).
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime

from tracker.core import clock
from tracker.core.dates import roc_date, roc_short
from tracker.documents.labels import STATUS, table_rows, table_title
from tracker.documents.workbook import row_cells
from tracker.domain.enums import Status
from tracker.services.dashboard import Dashboard, Table
from tracker.storage.store import Store

REPORT_TITLE = "移民資訊應用合規報告"
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


def iso_to_roc(text: str) -> str:
    """Rewrite ISO dates inside ``text`` (e.g. a status reason) as ROC dates: 2026-03-02 → 115/03/02."""
    return _ISO_DATE.sub(lambda m: roc_short(date(*(int(g) for g in m.groups()))), text or "")


ID_COLUMNS = ("代碼", "編號", "佐證編號")


def export_file_name(fmt: str, today: date) -> str:
    """``合規報告-115-12-01.xlsx`` (or ``.pdf``): the report's name and ROC date."""
    return f"合規報告-{roc_short(today).replace('/', '-')}.{fmt}"


def shown(value):
    """A cell as a person reads it: ROC dates (with the time for an instant), ROC dates inside text."""
    if isinstance(value, datetime):
        local = value.astimezone(clock.TAIPEI) if value.tzinfo else value
        return f"{roc_short(local.date())} {local:%H:%M}"
    if isinstance(value, date):
        return roc_short(value)
    if isinstance(value, str):
        return iso_to_roc(value)
    return value


def export_rows(table: Table) -> tuple[list[str], list[list]]:
    """(headers, rows) of a dashboard table without its id columns, values as :func:`shown`."""
    headers, rows = table_rows(table)
    keep = [i for i, h in enumerate(headers) if h not in ID_COLUMNS]
    return [headers[i] for i in keep], [[shown(row[i]) for i in keep] for row in rows]


def record_export(store: Store, actor: str, fmt: str, board: Dashboard) -> None:
    """Write the export of the dashboard (``xlsx`` or ``pdf``) to the activity log."""
    store.record_event(
        actor=actor,
        action="dashboard_exported",
        details={
            "format": fmt,
            "date": board.report.today.isoformat(),
            "overall_percent": board.report.overall.percent,
        },
    )


def workbook_bytes(board: Dashboard) -> bytes:
    """The dashboard as .xlsx: 摘要, 依廠商, 依委託案, 依應辦事項, 依機關, 明細 (ROC dates, filters)."""
    from openpyxl import Workbook

    book = Workbook()
    _summary_sheet(book.active, board)
    for table in (*board.rollups, board.detail):
        _table_sheet(
            book.create_sheet(table_title(table.name, board.report.today)), table, first_row=1
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def summary_lines(board: Dashboard) -> list[tuple[str, object]]:
    """(label, value) pairs at the top of the summary sheet and the PDF."""
    overall = board.report.overall
    counts = [
        (f"狀態：{STATUS[s]}", overall.counts[s.value]) for s in Status if s.value in overall.counts
    ]
    return [
        ("整體合規率(%)", overall.percent),
        ("符合項數", overall.ok),
        ("適用項數", overall.applicable),
        *counts,
        *((table_title(t.name, board.report.today), len(t.rows)) for t in board.lists[:4]),
    ]


def _summary_sheet(sheet, board: Dashboard) -> None:
    sheet.title = "摘要"
    sheet.append(row_cells(sheet, [REPORT_TITLE]))
    sheet.append(row_cells(sheet, ["報表日期", roc_date(board.report.today)]))
    sheet.append([])
    for label, value in summary_lines(board):
        sheet.append(row_cells(sheet, [label, value]))
    for table in (board.attention, *board.lists):
        sheet.append([])
        sheet.append(row_cells(sheet, [table_title(table.name, board.report.today)]))
        _append_rows(sheet, table)
    sheet.freeze_panes = "A3"
    _fit_columns(sheet)


def _table_sheet(sheet, table: Table, first_row: int) -> None:
    _append_rows(sheet, table)
    sheet.freeze_panes = sheet.cell(row=first_row + 1, column=1).coordinate
    sheet.auto_filter.ref = sheet.dimensions
    _fit_columns(sheet)


def _append_rows(sheet, table: Table) -> None:
    from openpyxl.styles import Font

    headers, rows = export_rows(table)
    sheet.append(row_cells(sheet, headers))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in rows:  # names, titles and reasons typed by people: text cells
        sheet.append(row_cells(sheet, [_excel_value(v) for v in row]))


def _excel_value(value):
    if isinstance(value, datetime):  # openpyxl refuses aware datetimes: Taipei wall time
        return value.astimezone(clock.TAIPEI).replace(tzinfo=None) if value.tzinfo else value
    return value


def _fit_columns(sheet) -> None:
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for row in sheet.iter_rows():
        for cell in row:
            text = cell.value.isoformat() if isinstance(cell.value, date) else str(cell.value or "")
            width = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
            widths[cell.column] = max(widths.get(cell.column, 6), min(width + 2, 60))
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = width
