"""The dashboard's tables as an Excel workbook and a PDF report.

The tables themselves are :mod:`tracker.services.dashboard`'s, so the screen, the workbook and the PDF show the same numbers from the
same report.  The workbook writes ISO dates; the PDF, like the screen, the ROC
calendar.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime

from tracker.core import clock
from tracker.core.dates import roc_date, roc_short
from tracker.documents.labels import STATUS, table_rows, table_title
from tracker.documents.pdf import FONT, new_pdf
from tracker.documents.workbook import row_cells
from tracker.domain.enums import Status
from tracker.services.dashboard import Dashboard, Table
from tracker.storage.store import Store

REPORT_TITLE = "移民資訊應用合規報告"
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


def iso_to_roc(text: str) -> str:
    """Rewrite ISO dates inside ``text`` (e.g. a status reason) as ROC dates: 2026-03-02 → 115/03/02."""
    return _ISO_DATE.sub(lambda m: roc_short(date(*(int(g) for g in m.groups()))), text or "")


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
    """The dashboard as .xlsx: 摘要, 依廠商, 依委託案, 依應辦事項, 依機關, 明細 (ISO dates, filters).

    Every text is a text cell (never a formula), see :mod:`tracker.documents.workbook`.
    """
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
    sheet.append(row_cells(sheet, ["報表日期", board.report.today]))
    sheet["B2"].number_format = "yyyy-mm-dd"
    sheet.append([])
    for label, value in summary_lines(board):
        sheet.append(row_cells(sheet, [label, value]))
    for table in board.lists:
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

    headers, rows = table_rows(table)
    sheet.append(row_cells(sheet, headers))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in rows:  # names, titles and reasons typed by people: text cells
        sheet.append(row_cells(sheet, [_excel_value(v) for v in row]))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"


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


def pdf_bytes(board: Dashboard) -> bytes:
    """The dashboard as an A4 PDF in Traditional Chinese, dated in the ROC calendar."""
    pdf = new_pdf(REPORT_TITLE)
    pdf.add_page()
    pdf.set_font(FONT, size=18)
    pdf.cell(0, 12, REPORT_TITLE, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=11)
    pdf.cell(
        0, 8, f"報表日期：{roc_date(board.report.today)}", align="C", new_x="LMARGIN", new_y="NEXT"
    )
    _pdf_table(
        pdf,
        "摘要",
        ("項目", "數值"),
        [(k, "—" if v is None else v) for k, v in summary_lines(board)],
        (70, 40),
    )
    today = board.report.today
    for table in board.rollups:
        headers = table_rows(table)[0]
        rows = [
            (r.name, r.ok, r.applicable, "—" if r.percent is None else f"{r.percent:.1f}")
            for r in table.rows
        ]
        _pdf_table(pdf, table_title(table.name, today), headers[1:], rows, (100, 25, 25, 30))
    for table in board.lists[:3]:
        rows = [
            (
                r.obligation_id,
                r.subject_label,
                r.vendor,
                STATUS[r.status],
                roc_short(r.due) if r.due else "",
                iso_to_roc(r.reason),
            )
            for r in table.rows
        ]
        _pdf_table(
            pdf,
            table_title(table.name, today),
            ("項次", "對象", "廠商", "狀態", "期限", "說明"),
            rows,
            (12, 38, 46, 18, 20, 56),
        )
    rows = [
        (r.vendor, r.contract, r.summary, _roc_instant(r.known_at), r.measures)
        for r in board.incidents.rows
    ]
    _pdf_table(
        pdf,
        table_title("incidents", today),
        ("廠商", "委託案", "摘要", "知悉時間", "因應措施"),
        rows,
        (38, 40, 44, 28, 40),
    )
    headers, audit_rows = table_rows(board.audits)
    _pdf_table(
        pdf,
        table_title("audits", today),
        headers[1:],
        [r[1:] for r in audit_rows],
        (80, 30, 30, 50),
    )
    return bytes(pdf.output())


def _pdf_table(pdf, title: str, columns, rows, widths) -> None:
    pdf.ln(4)
    pdf.set_font(FONT, size=13)
    pdf.cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    if not rows:
        pdf.cell(0, 7, "（無）", new_x="LMARGIN", new_y="NEXT")
        return
    from fpdf.fonts import FontFace

    heading = FontFace(emphasis="", fill_color=(225, 232, 240))  # the CJK font has no bold face
    with pdf.table(
        col_widths=widths,
        width=sum(widths),
        line_height=5.5,
        align="LEFT",
        headings_style=heading,
        repeat_headings=1,
    ) as grid:
        for values in (columns, *rows):
            line = grid.row()
            for value in values:
                line.cell(str(value))


def _roc_instant(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(clock.TAIPEI)
    return f"{roc_short(local.date())} {local:%H:%M}"
