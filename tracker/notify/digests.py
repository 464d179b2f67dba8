"""What each recipient must hear on a day, from the status engine's rows.

One draft per recipient: a vendor, or one role of one or more agencies that
share the same addresses.  A recipient with nothing that day gets no draft.

- **Vendors** (``contact_emails``): an item not yet satisfied (due soon,
  missing, rejected) on the day exactly 30, 7 or 1 days before its due date
  (for valid evidence: its expiry); an overdue or expired item on the first
  day it is overdue and every Monday after.  Items waiting for review are the
  IT office's, not the vendor's, so they are left out.
- **The IT office** of the item's agency (the contract's; 本局 when there is
  none), daily: vendor items waiting for review and overdue or expired vendor items.
- **The account manager**, daily: accounts awaiting removal after the holder
  left (5.3); and the 7.2 schedule: while no self-audit is open and fewer are
  closed than the next deadline (30 June, 31 December) needs, on the day 30, 7
  and 1 days before it, then as overdue (first day, every Monday).
- **Managers**, every Monday: the agency's overdue and expired items, with its counts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from tracker.compliance.catalogue import Catalogue
from tracker.compliance.results import Context, ObligationStatus
from tracker.compliance.rules.checks import CHECKS
from tracker.core.clock import TAIPEI
from tracker.documents.labels import STATUS
from tracker.domain.enums import Status, SubjectKind
from tracker.domain.facts import Facts
from tracker.domain.outbox import Audience, MessageKind
from tracker.domain.vendors import Agency, Vendor
from tracker.notify import drafts as d
from tracker.notify.addresses import agency_addresses, vendor_addresses
from tracker.notify.render import digest_subject

ACCOUNT_REMOVAL = "5.3"  # accounts cancelled when the holder leaves
SELF_AUDITS = "7.2"  # at least two self-audits a year
OVERDUE = (Status.OVERDUE, Status.EXPIRED)
NOT_YET_DONE = (Status.DUE_SOON, Status.MISSING, Status.REJECTED)

# The app's page for each kind of item (url paths of streamlit_app.py's pages;
# "" is the signed-in role's first page, served at the root).
PAGE_VENDOR = ""  # vendor_status.py, the vendor's first page
PAGE_REVIEW = "review_queue"
PAGE_MATRIX = "matrix"
PAGE_ACCOUNTS = "nia_accounts"
PAGE_AUDITS = "self_audits"
PAGE_DASHBOARD = ""  # dashboard.py, the first page of the IT office and managers


@dataclass
class Composition:
    """The day's drafts, and recipients who would hear something but have no address."""

    drafts: list[d.Draft] = field(default_factory=list)
    unreachable: list[tuple[Audience, str, int]] = field(default_factory=list)


def overdue_step(due: date, day: date) -> str | None:
    if day == due + timedelta(days=1):
        return d.OVERDUE_NEW
    return d.OVERDUE_WEEKLY if day.weekday() == d.WEEKLY_DAY else None


def vendor_step(row: ObligationStatus, day: date) -> str | None:
    """The reminder step of a vendor item on ``day``, or ``None`` when it is not due a reminder."""
    if row.due is None:
        return None
    if row.status in OVERDUE:
        return overdue_step(row.due, day)
    if row.status in NOT_YET_DONE:
        return d.DUE_STEPS.get((row.due - day).days)
    return None


def home_agency(agencies: list[Agency]) -> str | None:
    """本局: the agency without a parent (the first by id), for items tied to no agency."""
    roots = sorted(a.id for a in agencies if a.parent_id is None)
    return roots[0] if roots else (min(a.id for a in agencies) if agencies else None)


def compose_digests(
    rows: list[ObligationStatus], facts: Facts, catalogue: Catalogue, day: date
) -> Composition:
    """Every digest of ``day`` (see the module docstring for who hears what)."""
    vendors = {v.id: v for v in facts.vendors}
    agencies = {a.id: a for a in facts.agencies}
    home = home_agency(list(agencies.values()))
    by_vendor: dict[str, list[dict]] = defaultdict(list)
    by_agency: dict[tuple[Audience, str], list[dict]] = defaultdict(list)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        if row.status == Status.NOT_APPLICABLE:
            continue
        agency_id = row.agency_id if row.agency_id in agencies else home
        if row.agency_id in agencies:  # as the dashboard's roll-up by agency counts
            counts[row.agency_id][row.status] += 1
            counts[row.agency_id]["ok"] += row.ok
        if row.status == Status.COMPLIANT:
            continue
        vendor = vendors.get(row.vendor_id) if row.vendor_id else None
        for audience, step, page in _row_steps(row, vendor, day):
            it = _item(row, step, page, catalogue, vendor)
            if audience is Audience.VENDOR:
                by_vendor[vendor.id].append(it)
            elif agency_id:
                by_agency[(audience, agency_id)].append(it)
    for agency in agencies.values():
        it = _audit_schedule_item(agency, facts, catalogue, day)
        if it:
            by_agency[(Audience.ACCOUNT_ADMIN, agency.id)].append(it)
    out = Composition()
    for vendor_id, items in sorted(by_vendor.items()):
        _vendor_draft(out, vendors[vendor_id], items, day)
    _agency_drafts(out, by_agency, agencies, counts, day)
    return out


def _row_steps(row: ObligationStatus, vendor: Vendor | None, day: date):
    """(audience, step, page) of every digest this row belongs to on ``day``."""
    if vendor is not None:
        step = vendor_step(row, day)
        if step:
            yield Audience.VENDOR, step, PAGE_VENDOR
        if row.status == Status.PENDING_REVIEW:
            yield Audience.IT_OFFICE, d.REVIEW, PAGE_REVIEW
        elif row.status in OVERDUE:
            yield Audience.IT_OFFICE, d.OVERDUE_DAILY, PAGE_MATRIX
    if row.obligation_id == ACCOUNT_REMOVAL and row.status in (*NOT_YET_DONE, Status.OVERDUE):
        yield Audience.ACCOUNT_ADMIN, d.REMOVAL, PAGE_ACCOUNTS
    if day.weekday() == d.WEEKLY_DAY and row.status in OVERDUE:
        yield Audience.MANAGER, d.WEEKLY_SUMMARY, PAGE_DASHBOARD


def _item(row: ObligationStatus, step: str, page: str, catalogue: Catalogue, vendor) -> dict:
    return d.item(
        obligation_id=row.obligation_id,
        subject_kind=row.subject_kind,
        subject_id=row.subject_id,
        due=row.due,
        status=row.status,
        step=step,
        title=_title(catalogue, row.obligation_id),
        subject_label=row.subject_label,
        vendor_name=vendor.name if vendor else "",
        page=page,
    )


def _title(catalogue: Catalogue, obligation_id: str) -> str:
    try:
        return catalogue.get(obligation_id).title_zh
    except KeyError:
        return ""


def _audit_schedule_item(agency: Agency, facts: Facts, catalogue: Catalogue, day: date):
    """7.2: the agency's self-audit reminder of ``day``, by the status engine's own check.

    Nothing while one of the agency's self-audits is open: it is under way.
    """
    try:
        obligation = catalogue.get(SELF_AUDITS)
    except KeyError:
        return None
    if not obligation.check or any(
        a.agency_id == agency.id and a.closed_on is None for a in facts.audits
    ):
        return None
    end_of_day = datetime.combine(day, time(23, 59, 59), TAIPEI)
    ctx = Context(agency, SubjectKind.AGENCY, agency.name, catalogue, facts, end_of_day)
    ctx.agency_id, ctx.obligation = agency.id, obligation
    finding = CHECKS[obligation.check](ctx, day)
    if finding is None or finding.due is None:
        return None
    if finding.status in OVERDUE:
        step = overdue_step(finding.due, day)
    else:
        step = d.DUE_STEPS.get((finding.due - day).days)
    if step is None:
        return None
    return d.item(
        obligation_id=obligation.id,
        subject_kind=SubjectKind.AGENCY,
        subject_id=agency.id,
        due=finding.due,
        status=finding.status,
        step=step,
        title=obligation.title_zh,
        subject_label=agency.name,
        page=PAGE_AUDITS,
    )


def _vendor_draft(out: Composition, vendor: Vendor, items: list[dict], day: date) -> None:
    to = vendor_addresses(vendor)
    if not to:
        out.unreachable.append((Audience.VENDOR, vendor.name, len(items)))
        return
    out.drafts.append(
        d.Draft(
            kind=MessageKind.DIGEST,
            audiences=(Audience.VENDOR,),
            parties=(vendor.id,),
            names=(vendor.name,),
            to=to,
            day=day,
            items=tuple(_ordered(items)),
            subject=digest_subject(Audience.VENDOR, (vendor.name,), items, day),
            vendor_id=vendor.id,
        )
    )


def _agency_drafts(out: Composition, by_agency, agencies, counts, day: date) -> None:
    """One draft per role and address list: agencies whose role shares addresses share a message."""
    groups: dict[tuple[Audience, tuple[str, ...]], list[str]] = defaultdict(list)
    order = sorted(by_agency, key=lambda k: (k[0], agencies[k[1]].parent_id is not None, k[1]))
    for audience, agency_id in order:  # 本局 first, then its affiliated agencies
        items = by_agency[(audience, agency_id)]
        to = agency_addresses(agencies[agency_id], audience)
        if not to:
            out.unreachable.append((audience, agencies[agency_id].name, len(items)))
            continue
        groups[(audience, tuple(sorted(a.lower() for a in to)))].append(agency_id)
    for (audience, _), agency_ids in groups.items():
        items = [it for a in agency_ids for it in by_agency[(audience, a)]]
        names = tuple(agencies[a].name for a in agency_ids)
        intro = _summary(agency_ids, agencies, counts) if audience is Audience.MANAGER else ""
        out.drafts.append(
            d.Draft(
                kind=MessageKind.DIGEST,
                audiences=(audience,),
                parties=tuple(agency_ids),
                names=names,
                to=agency_addresses(agencies[agency_ids[0]], audience),
                day=day,
                items=tuple(_ordered(items)),
                subject=digest_subject(audience, names, items, day),
                agency_id=agency_ids[0],
                intro=intro,
            )
        )


def _summary(agency_ids, agencies, counts) -> str:
    """Managers' lines: each agency's counts by status and the share satisfied, as the dashboard
    counts it (not-applicable rows left out)."""
    lines = []
    for agency_id in agency_ids:
        c = counts.get(agency_id, {})
        by_status = {s: c.get(s, 0) for s in STATUS if s != Status.NOT_APPLICABLE}
        total = sum(by_status.values())
        parts = "、".join(f"{STATUS[s]} {n}" for s, n in by_status.items() if n)
        share = f"，達成率 {100 * c.get('ok', 0) / total:.1f}%" if total else ""
        lines.append(f"{agencies[agency_id].name}：應辦事項 {total} 項（{parts}）{share}")
    return "\n".join(lines)


def _ordered(items: list[dict]) -> list[dict]:
    """Overdue first, then by due date, obligation and subject."""
    return sorted(
        items,
        key=lambda it: (
            it["status"] not in OVERDUE,
            it["due"] or "9999-12-31",
            it["obligation_id"],
            it["subject_label"],
            it["subject_id"],
        ),
    )
