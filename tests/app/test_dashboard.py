"""The dashboard and its exports: the screen, the workbook and the PDF agree with one report."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tracker.core.dates import roc_date
from tracker.core.text import normalize_text
from tracker.documents.labels import table_title
from tracker.domain.enums import Status
from tracker.services import dashboard, exports, report_pdf
from tracker.services.compliance import compliance_report

from .conftest import activity_log, shown, signed_in


@pytest.fixture
def board(app_settings, store) -> dashboard.Dashboard:
    return dashboard.dashboard(store, compliance_report(store))


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_screen_shows_the_reports_numbers(app_settings, board):
    at = signed_in("manager")
    figures = metrics(at)
    report = board.report
    assert figures["整體合規率"] == dashboard.percent_text(report.overall)
    assert figures["逾期/過期"] == str(len(board.overdue.rows))
    first = at.table[0].value
    assert [shown(v) for v in first.index] == [r.vendor for r in board.attention.rows]
    first.index = [shown(v) for v in first.index]
    for row in board.attention.rows:
        line = first.loc[row.vendor].map(shown)
        assert (int(line["逾期/過期"]), int(line["待辦"])) == (row.late, row.open)
        assert line["合規率(%)"] == f"{report.by_vendor[row.vendor_id].percent:.1f}"


def test_the_workbook_has_its_sheets_and_the_same_numbers(board):
    book = load_workbook(io.BytesIO(exports.workbook_bytes(board)))
    assert book.sheetnames == ["摘要", "依廠商", "依委託案", "依應辦事項", "依機關", "明細"]
    summary = {row[0]: row[1] for row in book["摘要"].iter_rows(values_only=True) if row and row[0]}
    assert summary["整體合規率(%)"] == board.report.overall.percent
    assert summary["適用項數"] == board.report.overall.applicable
    vendors = {row[0]: row[3] for row in book["依廠商"].iter_rows(min_row=2, values_only=True)}
    assert vendors == {
        board.names[k]: r.percent for k, r in board.report.by_vendor.items() if r.applicable
    }
    detail = book["明細"]
    applicable = [r for r in board.report.rows if r.status != Status.NOT_APPLICABLE]
    assert detail.max_row - 1 == len(applicable)
    assert detail.freeze_panes == "A2" and detail.auto_filter.ref
    headers = [c.value for c in detail[1]]
    assert "佐證編號" not in headers and "代碼" not in headers
    dues = [row[headers.index("期限")] for row in detail.iter_rows(min_row=2, values_only=True)]
    assert any(dues) and all(re.fullmatch(r"\d{2,3}/\d{2}/\d{2}", d) for d in dues if d)


def test_the_pdf_is_in_chinese_dated_in_the_roc_calendar_with_the_same_numbers(board):
    pages = PdfReader(io.BytesIO(report_pdf.pdf_bytes(board))).pages
    text = normalize_text("".join(page.extract_text() for page in pages))
    assert exports.REPORT_TITLE in text
    assert roc_date(board.report.today).replace(" ", "") in text.replace(" ", "")
    for name, pct in ((r.name, r.percent) for r in board.by_vendor.rows):
        assert name in text and f"{pct:.1f}" in text


def test_exports_are_offered_for_download_and_logged(app_settings):
    at = signed_in("manager")
    next(b for b in at.button if b.label == "產生 Excel 活頁簿").click().run()
    next(b for b in at.button if b.label == "產生 PDF 報告").click().run()
    assert {b.label for b in at.get("download_button")} >= {"下載 Excel", "下載 PDF"}
    log = activity_log(app_settings)
    assert log.count('"action":"dashboard_exported"') == 2 and '"format":"pdf"' in log


def test_the_manager_can_open_the_evidence_behind_a_row(app_settings, board):
    evidence_id = next(row.evidence_id for row in board.detail.rows if row.evidence_id)
    at = signed_in("manager")
    next(b for b in at.selectbox if b.label == "選擇項目以檢視佐證").set_value(evidence_id).run()
    assert any(b.label == "下載檔案" for b in at.get("download_button"))
    table = shown(at.table[-1].value.to_csv())
    assert "審查狀態" in table and "SHA-256" in table


def test_the_account_manager_sees_no_evidence_files(app_settings):
    at = signed_in("account.admin")
    assert not [b for b in at.selectbox if b.label == "選擇項目以檢視佐證"]
    assert not [b for b in at.get("download_button") if b.label == "下載檔案"]


def test_lists_cover_overdue_expiring_departures_incidents_and_self_audits(board):
    titles = [table_title(t.name, board.report.today) for t in board.lists]
    assert titles[:4] == [
        "逾期或已過期項目",
        "30 日內到期",
        "離職人員帳號尚未停用（8.10）",
        "未結案資安事件",
    ]
    assert all(r.status in (Status.OVERDUE, Status.EXPIRED) for r in board.overdue.rows)
    assert all(r.obligation_id == "8.10" for r in board.departed.rows)
    audits = {row.agency_id: (row.done, row.required, row.achieved) for row in board.audits.rows}
    assert set(audits) == {"ag-sw", "ag-dv", "ag-haoran"}
    assert all(required == dashboard.AUDITS_PER_YEAR for _, required, _ in audits.values())


def test_a_vendor_named_like_a_formula_is_text_in_the_workbook(app_settings, store):
    import zipfile

    from tracker.domain.vendors import Vendor
    from tracker.services import vendors

    vendor = next(iter(store.all(Vendor)))
    hostile = '=HYPERLINK("https://evil.example","廠商")'
    vendors.save_vendor(store, "it.office", name=hostile, ubn=vendor.ubn, vendor_id=vendor.id)
    data = exports.workbook_bytes(dashboard.dashboard(store, compliance_report(store)))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert not any(b"<f>" in archive.read(n) for n in sheets)
    sheet = load_workbook(io.BytesIO(data))["依廠商"]
    column = [c.value for c in sheet[1]].index("廠商")
    names = [row[column] for row in sheet.iter_rows(min_row=2)]
    assert hostile in [cell.value for cell in names]
    assert all(cell.data_type == "s" for cell in names)
