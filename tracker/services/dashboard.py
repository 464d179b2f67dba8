"""The dashboard's tables, computed once from one compliance report.

:func:`dashboard` turns one :class:`ComplianceReport` into named tables of
typed rows (dates stay :class:`datetime.date`, statuses :class:`Status`), so
the screen, the workbook and the PDF show the same numbers from the same
report.  Titles and column headers are zh-TW and live with the labels
(:data:`tracker.documents.labels.TABLES`), used by the page and the exports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from tracker.compliance.loader import default_catalogue
from tracker.compliance.rollups import Rollup
from tracker.domain.audits import SelfAudit
from tracker.domain.enums import Status, SubjectKind
from tracker.domain.vendors import Agency, Contract, Incident, Vendor
from tracker.services.attention import vendor_attention
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
class RollupRow:
    """One roll-up line: the vendor, contract, obligation or agency and its share of ``ok`` items."""

    key: str
    name: str
    ok: int
    applicable: int
    percent: float | None


@dataclass(frozen=True)
class DetailRow:
    """One (obligation × subject) that is not "not applicable", with names instead of ids."""

    obligation_id: str
    obligation_title: str
    subject_kind: SubjectKind
    subject_label: str
    vendor: str
    contract: str
    agency: str
    status: Status
    due: date | None
    reason: str
    evidence_id: str


@dataclass(frozen=True)
class IncidentRow:
    """An incident not yet closed (8.3)."""

    id: str
    vendor: str
    contract: str
    summary: str
    known_at: datetime
    reported_at: datetime | None
    measures: str


@dataclass(frozen=True)
class AuditRow:
    """One agency's self-audits closed this year against the two of 7.2."""

    agency_id: str
    agency: str
    done: int
    required: int
    achieved: bool


@dataclass(frozen=True)
class Table:
    """A table of typed rows; ``name`` keys its zh-TW title and headers in the labels."""

    name: str
    rows: list = field(default_factory=list)


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows, computed once from one report."""

    report: ComplianceReport
    names: dict[str, str]
    attention: Table
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
        attention=Table(
            "attention", vendor_attention(report.rows, names, report.today, obligation_label)
        ),
        by_vendor=_rollup_table("by_vendor", report.by_vendor, names),
        by_contract=_rollup_table("by_contract", report.by_contract, names),
        by_obligation=_rollup_table(
            "by_obligation",
            report.by_obligation,
            {k: obligation_label(k) for k in report.by_obligation},
        ),
        by_agency=_rollup_table("by_agency", report.by_agency, names),
        detail=_detail("detail", rows, names),
        overdue=_detail(
            "overdue", [r for r in rows if r.status in (Status.OVERDUE, Status.EXPIRED)], names
        ),
        expiring=_detail("expiring", _expiring(rows, report.today), names),
        departed=_detail(
            "departed", [r for r in rows if r.obligation_id == "8.10" and not r.ok], names
        ),
        incidents=_open_incidents(store, names),
        audits=_audits(store, report.today),
    )


def _names(store: Store) -> dict[str, str]:
    names = {a.id: a.name for a in store.all(Agency)}
    names.update({v.id: v.name for v in store.all(Vendor)})
    names.update({c.id: c.title for c in store.all(Contract)})
    return names


def _rollup_table(name: str, rollups: dict[str, Rollup], names: dict[str, str]) -> Table:
    def sort_key(key: str):
        return (
            [int(p) if p.isdigit() else 0 for p in key.split(".")]
            if key[0].isdigit()
            else [names.get(key, key)]
        )

    rows = [
        RollupRow(key, names.get(key, key), r.ok, r.applicable, r.percent)
        for key, r in sorted(rollups.items(), key=lambda kv: sort_key(kv[0]))
        if r.applicable
    ]
    return Table(name, rows)


def _detail(name: str, rows, names: dict[str, str]) -> Table:
    ordered = sorted(rows, key=lambda r: (r.due or date.max, r.obligation_id, r.subject_id))
    return Table(
        name,
        [
            DetailRow(
                r.obligation_id,
                obligation_title(r.obligation_id),
                r.subject_kind,
                r.subject_label,
                names.get(r.vendor_id, ""),
                names.get(r.contract_id, ""),
                names.get(r.agency_id, ""),
                r.status,
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
        "incidents",
        [
            IncidentRow(
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
        AuditRow(
            a.id,
            a.name,
            done.get(a.id, 0),
            AUDITS_PER_YEAR,
            done.get(a.id, 0) >= AUDITS_PER_YEAR,
        )
        for a in sorted(store.all(Agency), key=lambda a: a.id)
    ]
    return Table("audits", rows)
