"""The dashboard's tables, computed once from one compliance report.

:func:`dashboard` turns one :class:`ComplianceReport` into named tables (cells
are plain values; dates stay :class:`datetime.date`), so the screen, the
workbook and the PDF show the same numbers from the same report.  The screen
writes dates in the ROC calendar; the workbook writes ISO dates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from tracker.compliance.loader import default_catalogue
from tracker.compliance.rollups import Rollup
from tracker.documents.labels import STATUS, SUBJECT
from tracker.domain.audits import SelfAudit
from tracker.domain.enums import Status
from tracker.domain.vendors import Agency, Contract, Incident, Vendor
from tracker.services.compliance import ComplianceReport
from tracker.storage.store import Store

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
