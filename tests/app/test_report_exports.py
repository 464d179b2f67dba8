"""The exports speak zh-TW to the people who read them and never fail on stored data: long CJK and
long unbroken Latin text in every column of every table of the PDF report is wrapped and continued."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date, datetime

from openpyxl import load_workbook
from pypdf import PdfReader

from tracker.core import clock
from tracker.core.text import normalize_text
from tracker.services import dashboard, exports, report_pdf
from tracker.services.compliance import compliance_report

from .conftest import signed_in

LONG_CJK = "封鎖來源 IP 並重設所有管理者密碼，另請系統商全面檢視日誌。" * 40  # 1,200+ characters
LONG_LATIN = "x" * 3000  # no space to break at
IDS = re.compile(
    r"(?<![A-Za-z0-9])(v-[a-d]|c-\d|ag-[a-z]+|inc-[0-9a-f]{6,}|au-[0-9a-f]{6,}|ev-[0-9a-f]{6,})(?![A-Za-z0-9])"
)


def stuffed(value):
    """The longest text a table row could carry, in every text field."""
    if type(value) is str:  # not the statuses and kinds (str enums)
        return LONG_CJK + LONG_LATIN
    return value


def stuff_table(table: dashboard.Table, rows: int = 2) -> dashboard.Table:
    """The table with its first ``rows`` rows carrying the longest text in every text field."""
    long = [
        replace(row, **{f: stuffed(getattr(row, f)) for f in row.__dataclass_fields__})
        for row in table.rows[:rows]
    ]
    return replace(table, rows=long + table.rows[rows:])


def pdf_text(data: bytes) -> str:
    return normalize_text(
        "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    )


def test_the_pdf_report_is_written_with_long_text_in_every_column_of_every_table(
    app_settings, store
):
    board = dashboard.dashboard(store, compliance_report(store))
    names = ("attention", "by_vendor", "by_contract", "by_obligation", "by_agency", "detail")
    long = replace(
        board,
        **{n: stuff_table(getattr(board, n)) for n in names},
        **{
            n: stuff_table(getattr(board, n))
            for n in ("overdue", "expiring", "departed", "incidents", "audits")
        },
    )
    data = report_pdf.pdf_bytes(long)
    text = pdf_text(data)
    assert normalize_text("（續）") in text
    assert text.count("封鎖來源") > 40 and "xxxxxxxxxx" in text
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) > 5


def test_an_incident_with_two_thousand_characters_of_measures_is_in_the_report(app_settings, store):
    board = dashboard.dashboard(store, compliance_report(store))
    measures = "因應措施第一段" + "甲" * 1990 + "完結"
    incident = dashboard.IncidentRow(
        "inc-x", "北辰資訊股份有限公司", "維運案", "測試", clock.now(), clock.now(), measures
    )
    long = replace(board, incidents=dashboard.Table("incidents", [incident]))
    text = pdf_text(report_pdf.pdf_bytes(long))
    assert "因應措施第一段" in text and "完結" in text


def test_the_report_names_records_dates_them_roc_and_lists_obligation_titles(app_settings, store):
    board = dashboard.dashboard(store, compliance_report(store))
    text = pdf_text(report_pdf.pdf_bytes(board))
    assert not IDS.findall(text), IDS.findall(text)
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", text)
    overdue = board.overdue.rows[0]
    assert f"{overdue.obligation_id}{overdue.obligation_title}".replace(" ", "") in text.replace(
        " ", ""
    )
    assert "各廠商待處理事項" in text


def test_the_workbook_names_records_and_dates_them_roc(app_settings, store):
    board = dashboard.dashboard(store, compliance_report(store))
    book = load_workbook(io.BytesIO(exports.workbook_bytes(board)))
    cells = [
        c
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for c in row
        if c is not None
    ]
    text = "\n".join(str(c) for c in cells)
    assert not IDS.findall(text), IDS.findall(text)[:5]
    assert not any(isinstance(c, date | datetime) for c in cells)
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", text)


def test_the_download_names_are_zh_tw(app_settings):
    at = signed_in("manager")
    next(b for b in at.button if b.label == "產生 Excel 活頁簿").click().run()
    next(b for b in at.button if b.label == "產生 PDF 報告").click().run()
    stamp = f"{clock.today().year - 1911}-{clock.today():%m-%d}"
    assert exports.export_file_name("xlsx", clock.today()) == f"合規報告-{stamp}.xlsx"
    assert exports.export_file_name("pdf", clock.today()) == f"合規報告-{stamp}.pdf"
