"""The dashboard's tables, and the same tables as an Excel workbook and a PDF report.

:func:`dashboard` turns one :class:`ComplianceReport` into named tables (cells
are plain values; dates stay :class:`datetime.date`), so the screen, the
workbook and the PDF show the same numbers from the same report.  The screen
writes dates in the ROC calendar; the workbook writes ISO dates.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from tracker import clock
from tracker.catalogue import default_catalogue
from tracker.domain import Agency, Contract, Incident, SelfAudit, Status, Vendor
from tracker.labels import STATUS, SUBJECT
from tracker.pdfdoc import FONT, new_pdf
from tracker.rocdate import roc_date, roc_short
from tracker.services.compliance import ComplianceReport
from tracker.status import Rollup
from tracker.store import Store

AUDITS_PER_YEAR = 2  # point 7.2: 每年至少辦理二次以上之自主稽核
EXPIRY_WINDOW_DAYS = 30


def obligation_title(obligation_id: str) -> str:
    """The short zh-TW title the catalogue gives an obligation ("" when it has none)."""
    try:
        return default_catalogue().get(obligation_id).title_zh
    except KeyError:
        return ""


@dataclass(frozen=True)
class Table:
    """A titled table: ``columns`` are zh-TW headers, ``rows`` tuples of plain values."""

    title: str
    columns: tuple[str, ...]
    rows: list[tuple] = field(default_factory=list)


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows, computed once from one report."""

    report: ComplianceReport
    names: dict[str, str]
    by_vendor: Table
    by_contract: Table
    by_obligation: Table
    by_agency: Table
    detail: Table
    overdue: Table
    expiring: Table
    departed: Table
    incidents: Table
    audits: Table

    @property
    def lists(self) -> tuple[Table, ...]:
        return (self.overdue, self.expiring, self.departed, self.incidents, self.audits)

    @property
    def rollups(self) -> tuple[Table, ...]:
        return (self.by_vendor, self.by_contract, self.by_obligation, self.by_agency)


def obligation_label(obligation_id: str) -> str:
    """``"8.6 接觸機敏資訊人員簽署切結書"``: the point and a short zh-TW title."""
    return f"{obligation_id} {obligation_title(obligation_id)}".strip()


def percent_text(rollup: Rollup | None) -> str:
    """``"87.5%"``, or ``"—"`` when nothing applies."""
    return "—" if rollup is None or rollup.percent is None else f"{rollup.percent:.1f}%"


def dashboard(store: Store, report: ComplianceReport) -> Dashboard:
    """The dashboard's tables for ``report`` (names looked up in ``store``)."""
    names = _names(store)
    rows = [r for r in report.rows if r.status != Status.NOT_APPLICABLE]
    return Dashboard(
        report=report,
        names=names,
        by_vendor=_rollup_table("依廠商", "廠商", report.by_vendor, names),
        by_contract=_rollup_table("依委託案", "委託案", report.by_contract, names),
        by_obligation=_rollup_table(
            "依應辦事項",
            "應辦事項",
            report.by_obligation,
            {k: obligation_label(k) for k in report.by_obligation},
        ),
        by_agency=_rollup_table("依機關", "機關", report.by_agency, names),
        detail=_detail("明細", rows, names),
        overdue=_detail("逾期項目", [r for r in rows if r.status == Status.OVERDUE], names),
        expiring=_detail(f"{EXPIRY_WINDOW_DAYS} 日內到期", _expiring(rows, report.today), names),
        departed=_detail(
            "離職人員帳號尚未停用（8.10）",
            [r for r in rows if r.obligation_id == "8.10" and not r.ok],
            names,
        ),
        incidents=_open_incidents(store, names),
        audits=_audits(store, report.today),
    )


def _names(store: Store) -> dict[str, str]:
    names = {a.id: a.name for a in store.all(Agency)}
    names.update({v.id: v.name for v in store.all(Vendor)})
    names.update({c.id: c.title for c in store.all(Contract)})
    return names


def _rollup_table(
    title: str, what: str, rollups: dict[str, Rollup], names: dict[str, str]
) -> Table:
    def sort_key(key: str):
        return (
            [int(p) if p.isdigit() else 0 for p in key.split(".")]
            if key[0].isdigit()
            else [names.get(key, key)]
        )

    rows = [
        (key, names.get(key, key), r.ok, r.applicable, r.percent)
        for key, r in sorted(rollups.items(), key=lambda kv: sort_key(kv[0]))
        if r.applicable
    ]
    return Table(title, ("代碼", what, "符合", "適用", "合規率(%)"), rows)


DETAIL_COLUMNS = (
    "項次",
    "應辦事項",
    "適用對象",
    "對象",
    "廠商",
    "委託案",
    "機關",
    "狀態",
    "期限",
    "說明",
    "佐證編號",
)


def _detail(title: str, rows, names: dict[str, str]) -> Table:
    ordered = sorted(rows, key=lambda r: (r.due or date.max, r.obligation_id, r.subject_id))
    return Table(
        title,
        DETAIL_COLUMNS,
        [
            (
                r.obligation_id,
                obligation_title(r.obligation_id),
                SUBJECT[r.subject_kind],
                r.subject_label,
                names.get(r.vendor_id, ""),
                names.get(r.contract_id, ""),
                names.get(r.agency_id, ""),
                STATUS[r.status],
                r.due,
                r.reason_zh,
                r.evidence_id or "",
            )
            for r in ordered
        ],
    )


def _expiring(rows, today: date) -> list:
    """Rows whose due date (or evidence expiry) falls within the next 30 days."""
    return [
        r
        for r in rows
        if r.due is not None
        and 0 <= (r.due - today).days <= EXPIRY_WINDOW_DAYS
        and r.status in (Status.DUE_SOON, Status.MISSING, Status.PENDING_REVIEW, Status.COMPLIANT)
    ]


def _open_incidents(store: Store, names: dict[str, str]) -> Table:
    open_ones = sorted((i for i in store.all(Incident) if not i.closed), key=lambda i: i.known_at)
    return Table(
        "未結案資安事件",
        ("編號", "廠商", "委託案", "摘要", "知悉時間", "通報時間", "因應措施"),
        [
            (
                i.id,
                names.get(i.vendor_id, ""),
                names.get(i.contract_id, "") if i.contract_id else "",
                i.summary,
                i.known_at,
                i.reported_at,
                i.measures,
            )
            for i in open_ones
        ],
    )


def _audits(store: Store, today: date) -> Table:
    """Self-audits closed this calendar year per agency against the two 7.2 requires."""
    done: dict[str, int] = {}
    for audit in store.all(SelfAudit):
        if audit.closed_on is not None and audit.closed_on.year == today.year:
            done[audit.agency_id] = done.get(audit.agency_id, 0) + 1
    rows = [
        (
            a.id,
            a.name,
            done.get(a.id, 0),
            AUDITS_PER_YEAR,
            "已達成" if done.get(a.id, 0) >= AUDITS_PER_YEAR else "未達成",
        )
        for a in sorted(store.all(Agency), key=lambda a: a.id)
    ]
    return Table(
        f"{today.year - 1911} 年度自主稽核（7.2）", ("代碼", "機關", "已完成", "應辦", "結果"), rows
    )


# --- the workbook and the PDF ---------------------------------------------------

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
    """The dashboard as .xlsx: 摘要, 依廠商, 依委託案, 依應辦事項, 依機關, 明細 (ISO dates, filters)."""
    from openpyxl import Workbook

    book = Workbook()
    _summary_sheet(book.active, board)
    for table in (*board.rollups, board.detail):
        _table_sheet(book.create_sheet(table.title), table, first_row=1)
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
        *((t.title, len(t.rows)) for t in board.lists[:4]),
    ]


def _summary_sheet(sheet, board: Dashboard) -> None:
    sheet.title = "摘要"
    sheet.append([REPORT_TITLE])
    sheet.append(["報表日期", board.report.today])
    sheet["B2"].number_format = "yyyy-mm-dd"
    sheet.append([])
    for label, value in summary_lines(board):
        sheet.append([label, value])
    for table in board.lists:
        sheet.append([])
        sheet.append([table.title])
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

    sheet.append(list(table.columns))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_excel_value(v) for v in row])
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
    for table in board.rollups:
        rows = [
            (name, ok, applicable, "—" if pct is None else f"{pct:.1f}")
            for _, name, ok, applicable, pct in table.rows
        ]
        _pdf_table(pdf, table.title, table.columns[1:], rows, (100, 25, 25, 30))
    for table in board.lists[:3]:
        rows = [
            (r[0], r[3], r[4], r[7], roc_short(r[8]) if r[8] else "", iso_to_roc(r[9]))
            for r in table.rows
        ]
        _pdf_table(
            pdf,
            table.title,
            ("項次", "對象", "廠商", "狀態", "期限", "說明"),
            rows,
            (12, 38, 46, 18, 20, 56),
        )
    rows = [(r[1], r[2], r[3], _roc_instant(r[4]), r[6]) for r in board.incidents.rows]
    _pdf_table(
        pdf,
        board.incidents.title,
        ("廠商", "委託案", "摘要", "知悉時間", "因應措施"),
        rows,
        (38, 40, 44, 28, 40),
    )
    _pdf_table(
        pdf,
        board.audits.title,
        board.audits.columns[1:],
        [r[1:] for r in board.audits.rows],
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
