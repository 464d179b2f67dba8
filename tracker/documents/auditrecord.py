"""The audit record (抽查紀錄, point 7.2) of a self-audit, as a PDF and an Excel workbook.

Both carry the same facts, in zh-TW only and dated in the ROC calendar: the agency, the
period, the population, the sample size and the rule it follows (with the catalogue's zh-TW
reading), the 抽樣代碼 (seed), every sampled record with its finding (subject IDs masked), the
reviewers, the dates, the case of a violation (7.3–7.5) and signature lines for 機關帳號管理者,
使用單位主管 and 政風單位.  Records are named, never shown by internal id.  The numbers in the
workbook are numbers, so a reader can recount them; every text in it is a text cell
(:func:`tracker.documents.workbook.row_cells`), so an imported 查詢事由 such as
``=HYPERLINK(...)`` is shown, never run as a formula.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from datetime import date

from tracker.compliance.catalogue import Catalogue
from tracker.compliance.loader import default_catalogue
from tracker.core.dates import roc_date, roc_short
from tracker.core.idnumbers import mask_id
from tracker.documents.workbook import row_cells
from tracker.domain.audits import SelfAudit
from tracker.domain.vendors import Agency

TITLE = "移民資訊應用自主稽核抽查紀錄"
FINDING_LABELS = {
    "legitimate": "合法",
    "not_legitimate": "不合法",
    "unclear": "無法判定",
    "": "未填",
}
PICK_LABELS = {
    "random": "隨機抽樣",
    "departed_holder": "風險：使用者已異動",
    "outside_office_hours": "風險：非上班時間",
    "no_purpose": "風險：未填查詢事由",
    "heavy_user": "風險：查詢量最多",
}
SIGNERS = ("機關帳號管理者", "使用單位主管", "政風單位")
COLUMNS = (
    ("序號", 9),
    ("行號", 11),
    ("查詢時間", 27),
    ("帳號", 20),
    ("查詢項目", 30),
    ("查詢對象證號", 22),
    ("查詢事由", 28),
    ("來源 IP", 22),
    ("抽選方式", 26),
    ("查核結果", 14),
    ("個案編號", 20),
    ("說明", 32),
    ("查核人", 16),
)


def summary(
    audit: SelfAudit,
    agency: Agency,
    records: Sequence,
    catalogue: Catalogue | None = None,
    log_head: str = "",
) -> list[tuple[str, object]]:
    """The record's header as ``(label, value)`` pairs, shared by the PDF and the workbook.

    ``log_head`` is the activity log's head when the record was made (``seq N
    <hash>``): kept outside the data folder with the record, it lets ``log
    verify --anchor`` show later that the log still holds it.
    """
    catalogue = catalogue or default_catalogue()
    counts = Counter(r.finding for r in records)
    reviewers = "、".join(sorted({r.reviewed_by for r in records if r.reviewed_by})) or "—"
    return [
        ("機關", agency.name),
        ("稽核期間", f"{roc_date(audit.period_start)} 至 {roc_date(audit.period_end)}"),
        ("母體筆數", audit.population),
        ("抽樣數", audit.sample_size),
        ("風險抽查筆數", audit.risk_picks),
        ("抽查總筆數", len(records)),
        ("抽樣規則", rule_text(audit, catalogue)),
        ("抽樣代碼（以同一代碼可重現同一組樣本）", audit.seed),
        ("開啟者", audit.opened_by),
        ("開啟日期", _day(audit.opened_at.date() if audit.opened_at else None)),
        ("結案者", audit.closed_by or "—"),
        ("結案日期", _day(audit.closed_on)),
        ("查核人", reviewers),
        ("合法", counts["legitimate"]),
        ("不合法", counts["not_legitimate"]),
        ("無法判定", counts["unclear"]),
        *case_lines(audit),
        *([("操作日誌鏈頭（結案時）", log_head)] if log_head else []),
    ]


def rule_text(audit: SelfAudit, catalogue: Catalogue | None = None) -> str:
    """The 7.2 rule as applied, e.g. 「最小抽樣比例 1/1000，至少 10 筆（少於 10 筆則全數查核）」 and the outcome."""
    ratio = audit.sample_ratio or "{0.numerator}/{0.denominator}".format(
        (catalogue or default_catalogue()).sampling_rule()[0]
    )
    floor = audit.sample_floor or (catalogue or default_catalogue()).sampling_rule()[1]
    return (
        f"要點第七點第二款：最小抽樣比例 {ratio}，至少 {floor} 筆（少於 {floor} 筆則全數查核）；"
        f"抽樣數＝min(母體, max({floor}, 母體×{ratio} 無條件進位))；"
        f"本次母體 {audit.population:,} 筆，抽樣 {audit.sample_size:,} 筆"
    )


def case_lines(audit: SelfAudit) -> list[tuple[str, object]]:
    """7.3–7.5: the case a violation opened (only when there is one)."""
    if not audit.violations:
        return [("違失案件", "無")]
    return [
        ("違失筆數", audit.violations),
        ("通知政風及資訊單位日期（7.3）", _day(audit.notified_on)),
        ("通知單位", audit.notified_units or "—"),
        ("改善措施（7.4）", audit.corrective_action or "—"),
        ("改善期限", _day(audit.corrective_due)),
        ("改善完成日期", _day(audit.corrective_done_on)),
        ("獎懲建議（7.5）", audit.recommendation or "—"),
    ]


def record_rows(records: Sequence) -> list[list[object]]:
    """One list of cells per sampled record, in :data:`COLUMNS` order (subject IDs masked)."""
    return [
        [
            n,
            r.line,
            f"{roc_short(r.queried_at.date())} {r.queried_at:%H:%M:%S}",
            r.account,
            r.query_type,
            mask_id(r.subject_id),
            r.purpose or "—",
            r.ip or "—",
            PICK_LABELS.get(r.pick, r.pick),
            FINDING_LABELS.get(r.finding, r.finding),
            r.case_ref,
            r.note,
            r.reviewed_by,
        ]
        for n, r in enumerate(records, 1)
    ]


def record_pdf(
    audit: SelfAudit,
    agency: Agency,
    records: Sequence,
    catalogue: Catalogue | None = None,
    log_head: str = "",
) -> bytes:
    """The audit record as a PDF in Traditional Chinese with a text layer."""
    from tracker.documents.pdf import FONT, new_pdf

    catalogue = catalogue or default_catalogue()
    pdf = new_pdf(f"{TITLE} {agency.name}")
    pdf.add_page()
    pdf.set_font(FONT, size=16)
    pdf.cell(0, 12, TITLE, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10)
    _key_values(pdf, summary(audit, agency, records, catalogue, log_head))
    pdf.ln(2)
    pdf.set_font(FONT, size=8)
    pdf.multi_cell(
        0,
        4.5,
        f"要點原文：{catalogue.get('7.2').text_zh}",
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.multi_cell(
        0,
        4.5,
        f"本系統解讀：{catalogue.get('7.2').reading_zh}",
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    _signatures(pdf)
    pdf.add_page(orientation="L")
    pdf.set_font(FONT, size=12)
    pdf.cell(
        0,
        8,
        f"抽查明細　{agency.name}　{roc_short(audit.period_start)}–{roc_short(audit.period_end)}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    _table(pdf, record_rows(records))
    return bytes(pdf.output())


def record_xlsx(
    audit: SelfAudit,
    agency: Agency,
    records: Sequence,
    catalogue: Catalogue | None = None,
    log_head: str = "",
) -> bytes:
    """The audit record as a workbook: sheet 「抽查紀錄」 (the summary) and 「抽查明細」 (the records)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "抽查紀錄"
    sheet.append(row_cells(sheet, [TITLE]))
    sheet["A1"].font = Font(bold=True, size=14)
    for label, value in summary(audit, agency, records, catalogue, log_head):
        sheet.append(row_cells(sheet, [label, value]))
    sheet.append([])
    for signer in SIGNERS:
        sheet.append(row_cells(sheet, [signer, "簽章：", "", "日期："]))
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 90
    for row in sheet.iter_rows(min_col=2, max_col=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    detail = book.create_sheet("抽查明細")
    detail.append(row_cells(detail, [name for name, _ in COLUMNS]))
    for cell in detail[1]:
        cell.font = Font(bold=True)
    for row in record_rows(records):
        detail.append(row_cells(detail, row))
    for index, (_, width) in enumerate(COLUMNS, 1):
        detail.column_dimensions[detail.cell(1, index).column_letter].width = max(8, width * 0.6)
    detail.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _day(day: date | None) -> str:
    return roc_date(day) if day else "—"


def _key_values(pdf, pairs: list[tuple[str, object]]) -> None:
    """Label and value rows; both cells wrap (by character, so a hash wraps too) and share the
    height of the taller one, so a long label or value never runs into its neighbour."""
    from fpdf.enums import WrapMode

    label_width = 52
    width = pdf.epw - label_width
    for label, value in pairs:
        text = (
            f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)
        )
        cells = ((label_width, label), (width, text))
        lines = max(
            len(pdf.multi_cell(w, 6, t, dry_run=True, output="LINES", wrapmode=WrapMode.CHAR)) or 1
            for w, t in cells
        )
        if pdf.get_y() + 6 * lines > pdf.page_break_trigger:
            pdf.add_page()
        top = pdf.get_y()
        for (w, t), x in zip(cells, (pdf.l_margin, pdf.l_margin + label_width), strict=True):
            pdf.set_xy(x, top)
            pdf.rect(x, top, w, 6 * lines)
            pdf.multi_cell(w, 6, t, align="L", wrapmode=WrapMode.CHAR)
        pdf.set_xy(pdf.l_margin, top + 6 * lines)


def _signatures(pdf) -> None:
    from tracker.documents.pdf import FONT

    pdf.ln(6)
    pdf.set_font(FONT, size=11)
    for signer in SIGNERS:
        pdf.cell(
            0,
            12,
            f"{signer}　簽章：________________________　日期：________________",
            new_x="LMARGIN",
            new_y="NEXT",
        )


def _table(pdf, rows: list[list[object]]) -> None:
    from tracker.documents.pdf import FONT, add_table

    pdf.set_font(FONT, size=7)
    widths = _fitted([w for _, w in COLUMNS], pdf.epw)
    add_table(pdf, [name for name, _ in COLUMNS], rows, widths, line_height=4, fill=(225, 225, 225))


def _fitted(widths: list[float], total: float) -> list[float]:
    """``widths`` scaled to ``total`` (the page's usable width), as fpdf2's table would."""
    scale = total / sum(widths)
    return [w * scale for w in widths]
