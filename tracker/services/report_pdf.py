"""The dashboard as an A4 PDF report in Traditional Chinese (the workbook is :mod:`tracker.services.exports`).

Same tables as the screen, from one :class:`~tracker.services.dashboard.Dashboard`: the summary,
who is in trouble (各廠商待處理事項), the roll-ups, the lists with each obligation's title, the open
incidents and the year's self-audits.  Dates are ROC, records are named; long stored text (2,000
characters of 因應措施, an unbroken string) wraps and continues over pages
(:func:`tracker.documents.pdf.add_table`), so the report is written whatever was stored.
"""

from __future__ import annotations

from tracker.core.dates import roc_date
from tracker.documents.labels import STATUS, table_title
from tracker.documents.pdf import FONT, add_table, new_pdf
from tracker.services.dashboard import Dashboard
from tracker.services.exports import REPORT_TITLE, export_rows, shown, summary_lines

LIST_COLUMNS = ("期限", "狀態", "廠商／機關", "應辦事項", "對象", "說明")
LIST_WIDTHS = (18, 14, 32, 40, 26, 60)
ATTENTION_WIDTHS = (34, 16, 16, 12, 18, 68, 16)
INCIDENT_WIDTHS = (28, 28, 36, 22, 22, 54)


def pdf_bytes(board: Dashboard) -> bytes:
    """The dashboard as an A4 PDF in Traditional Chinese, dated in the ROC calendar."""
    today = board.report.today
    pdf = new_pdf(REPORT_TITLE)
    pdf.add_page()
    pdf.set_font(FONT, size=18)
    pdf.cell(0, 12, REPORT_TITLE, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=11)
    pdf.cell(0, 8, f"報表日期：{roc_date(today)}", align="C", new_x="LMARGIN", new_y="NEXT")
    summary = [(k, "—" if v is None else v) for k, v in summary_lines(board)]
    _section(pdf, "摘要", ("項目", "數值"), summary, (90, 40))
    headers, rows = export_rows(board.attention)
    _section(pdf, table_title("attention", today), headers, rows, ATTENTION_WIDTHS)
    for table in board.rollups:
        headers, rows = export_rows(table)
        _section(pdf, table_title(table.name, today), headers, rows, (100, 25, 25, 30))
    for table in board.lists[:3]:
        _section(pdf, table_title(table.name, today), LIST_COLUMNS, _list_rows(table), LIST_WIDTHS)
    headers, rows = export_rows(board.incidents)
    _section(pdf, table_title("incidents", today), headers, rows, INCIDENT_WIDTHS)
    headers, rows = export_rows(board.audits)
    _section(pdf, table_title("audits", today), headers, rows, (80, 30, 30, 50))
    return bytes(pdf.output())


def _list_rows(table) -> list[tuple]:
    """A list's rows as the screen shows them: by when, what (with its title), who, why."""
    return [
        (
            shown(r.due) if r.due else "",
            STATUS[r.status],
            r.vendor or r.agency,
            f"{r.obligation_id} {r.obligation_title}".strip(),
            shown(r.subject_label),
            shown(r.reason),
        )
        for r in table.rows
    ]


def _section(pdf, title: str, columns, rows, widths) -> None:
    pdf.ln(4)
    pdf.set_font(FONT, size=13)
    pdf.cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    if not rows:
        pdf.cell(0, 7, "（無）", new_x="LMARGIN", new_y="NEXT")
        return
    add_table(pdf, columns, rows, widths)
