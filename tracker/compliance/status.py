"""The status engine: one compliance status per (obligation × subject).

:func:`evaluate` is a pure function of the catalogue, a :class:`Facts` snapshot
and the date.  For each assessable obligation and each subject of its kind it
yields an :class:`ObligationStatus`: ``not_applicable`` when a condition of the
catalogue fails, otherwise the worse of what the fact check and the evidence say.
:func:`tracker.compliance.rollups.rollup` turns the rows into compliance percentages.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta

from tracker.compliance.attention import attention_points
from tracker.compliance.catalogue import Catalogue, Obligation
from tracker.compliance.results import SEVERITY, Context, ObligationStatus
from tracker.compliance.rules.applicability import PREDICATES, departure_date
from tracker.compliance.rules.base import Finding, lateness
from tracker.compliance.rules.checks import CHECKS
from tracker.compliance.rules.identity import Person
from tracker.compliance.validity import valid_until
from tracker.core.clock import TAIPEI, local_date
from tracker.domain.enums import ReviewState, Status, SubjectKind
from tracker.domain.evidence import Evidence
from tracker.domain.facts import Facts
from tracker.domain.subjects import subject_label


def evaluate(
    catalogue: Catalogue, facts: Facts, today: date, now: datetime | None = None
) -> list[ObligationStatus]:
    """Every obligation status for the facts on ``today`` (``now`` defaults to today's end)."""
    now = now or datetime.combine(today, time(23, 59, 59), TAIPEI)
    evidence = _index_evidence(facts.evidence)
    by_kind: dict[SubjectKind, list[Obligation]] = defaultdict(list)
    for obligation in catalogue.assessable():
        by_kind[obligation.subject].append(obligation)
    rows: list[ObligationStatus] = []
    for ctx in _contexts(catalogue, facts, now):
        for obligation in by_kind.get(ctx.kind, ()):
            ctx.obligation = obligation
            rows.append(_evaluate_one(obligation, ctx, evidence, today))
    return rows


def _contexts(catalogue: Catalogue, facts: Facts, now: datetime) -> Iterator[Context]:
    contracts = {c.id: c for c in facts.contracts}

    def ctx(subject, kind, **kw) -> Context:
        return Context(subject, kind, subject_label(subject), catalogue, facts, now, **kw)

    current = tuple(
        Person(s.name, s.id_masked, s.id_digest)
        for s in facts.staff
        if s.end is None or s.end >= now.date()
    )
    for agency in facts.agencies:
        yield ctx(agency, SubjectKind.AGENCY, agency_id=agency.id, vendor_staff=current)
    for vendor in facts.vendors:
        yield ctx(vendor, SubjectKind.VENDOR, vendor_id=vendor.id)
    for c in facts.contracts:
        yield ctx(
            c,
            SubjectKind.CONTRACT,
            contract=c,
            vendor_id=c.vendor_id,
            agency_id=c.agency_id,
            start=c.start,
        )
    for s in facts.staff:
        c = contracts.get(s.contract_id)
        yield ctx(
            s,
            SubjectKind.VENDOR_STAFF,
            contract=c,
            vendor_id=s.vendor_id,
            agency_id=c.agency_id if c else None,
            start=s.start,
        )
    for pc in facts.pcs:
        c = contracts.get(pc.contract_id)
        yield ctx(
            pc,
            SubjectKind.DEDICATED_PC,
            contract=c,
            vendor_id=pc.vendor_id,
            agency_id=c.agency_id if c else None,
            start=c.start if c else None,
        )
    for inc in facts.incidents:
        c = contracts.get(inc.contract_id) if inc.contract_id else None
        yield ctx(
            inc,
            SubjectKind.INCIDENT,
            contract=c,
            vendor_id=inc.vendor_id,
            agency_id=c.agency_id if c else None,
            start=local_date(inc.known_at),
        )
    for acc in facts.accounts:
        yield ctx(acc, SubjectKind.NIA_ACCOUNT, agency_id=acc.agency_id, start=acc.active_from)
    for audit in facts.audits:
        yield ctx(audit, SubjectKind.AUDIT, agency_id=audit.agency_id, start=audit.closed_on)


def _evaluate_one(
    obligation: Obligation, ctx: Context, evidence: dict, today: date
) -> ObligationStatus:
    def row(
        status: Status, zh: str, en: str, due=None, ok=False, evidence_id=None
    ) -> ObligationStatus:
        return ObligationStatus(
            obligation.id,
            ctx.kind,
            ctx.subject.id,
            ctx.label,
            status,
            zh,
            en,
            due,
            ok,
            ctx.vendor_id,
            ctx.contract.id if ctx.contract else None,
            ctx.agency_id,
            evidence_id,
        )

    for name in obligation.applies_when:
        if not PREDICATES[name](ctx, today):
            return row(Status.NOT_APPLICABLE, "不適用", f"does not apply ({name} is false)")
    results: list[tuple[Finding | None, bool, str | None]] = []
    if obligation.check:
        finding = CHECKS[obligation.check](ctx, today)
        results.append((finding, finding is None, None))
    if obligation.evidence:
        results.append(_evidence_result(obligation, ctx, evidence, today))
    finding, ok, evidence_id = max(results, key=lambda r: SEVERITY[r[0].status] if r[0] else 1)
    if finding is None:
        return row(Status.COMPLIANT, "符合", "compliant", None, True, evidence_id)
    ok = finding.status == Status.DUE_SOON and all(r[1] for r in results)
    return row(finding.status, finding.zh, finding.en, finding.due, ok, evidence_id)


def _evidence_result(obligation: Obligation, ctx: Context, index: dict, today: date):
    """(finding or None, satisfied, evidence id) from the subject's current evidence."""
    current = _current(index.get((ctx.kind, ctx.subject.id), ()), obligation.evidence)
    due = due_date(obligation, ctx)
    if current is None:
        return _missing(due, today, ctx), False, None
    if current.state == ReviewState.SUBMITTED:
        return _submitted(current, due, today), False, current.id
    if current.state == ReviewState.REJECTED:
        why = current.review_reason or "—"
        return Finding(Status.REJECTED, f"退件：{why}", f"rejected: {why}", due), False, current.id
    until, soon_applies = valid_until(
        ctx.catalogue.evidence_kinds.get(current.kind), current, ctx.contract
    )
    if until is not None and until < today:
        return (
            Finding(
                Status.EXPIRED,
                f"已於 {until.isoformat()} 過期",
                f"expired on {until.isoformat()}",
                until,
            ),
            False,
            current.id,
        )
    if until is not None and soon_applies and (until - today).days <= ctx.catalogue.due_soon_days:
        return (
            Finding(
                Status.DUE_SOON,
                f"將於 {until.isoformat()} 到期",
                f"expires on {until.isoformat()}",
                until,
            ),
            True,
            current.id,
        )
    return None, True, current.id


def _submitted(current: Evidence, due: date | None, today: date) -> Finding:
    """An upload awaiting review is 待審查 — unless it raises points to look at
    (:func:`tracker.compliance.attention.attention_points`) and its due date has passed: then it
    stays 逾期 until a person decides."""
    points = attention_points(current)
    if points and due is not None and today > due:
        return Finding(
            Status.OVERDUE,
            f"已上傳待審查，需人工確認：{points[0]}",
            f"due {due.isoformat()}; the upload needs a person's check",
            due,
        )
    return Finding(Status.PENDING_REVIEW, "已上傳，待資訊室審查", "uploaded, awaiting review", due)


def _missing(due: date | None, today: date, ctx: Context) -> Finding:
    """No evidence: 逾期 once the due date has passed, else 缺件 with the due date in the reason.

    Not 即將到期 (due soon) before the due date: that status says existing evidence expires soon,
    and a missing pledge is not about to expire; the due date still sorts it first.
    """
    if due is None:
        return Finding(Status.MISSING, "缺件", "no evidence", due)
    if lateness(due, today, ctx.catalogue.due_soon_days) is Status.OVERDUE:
        return Finding(
            Status.OVERDUE,
            f"缺件，期限 {due.isoformat()} 已過",
            f"missing, due {due.isoformat()}",
            due,
        )
    return Finding(
        Status.MISSING, f"缺件，期限 {due.isoformat()}", f"missing, due {due.isoformat()}", due
    )


def due_date(obligation: Obligation, ctx: Context) -> date | None:
    """When the first evidence falls due under the obligation's timing rule."""
    timing = obligation.timing
    if timing.rule == "before_start":
        return ctx.start + timedelta(days=timing.days) if ctx.start else None
    if timing.rule == "within_days":
        event = _event_date(timing.event, ctx)
        return event + timedelta(days=timing.days) if event else None
    if timing.rule == "within_hours" and timing.event == "incident_known":
        return local_date(ctx.subject.known_at + timedelta(hours=timing.hours))
    return None


def _event_date(event: str, ctx: Context) -> date | None:
    if event == "staff_departure":
        return departure_date(ctx)
    if event == "holder_left":
        return ctx.subject.holder_left_on
    if event == "audit_closed":
        return ctx.subject.closed_on
    return None


def _index_evidence(records: Iterable[Evidence]) -> dict:
    index: dict = defaultdict(list)
    for ev in records:
        if ev.state != ReviewState.SUPERSEDED:
            index[(ev.subject_kind, ev.subject_id)].append(ev)
    return index


def _current(records, kinds: tuple[str, ...]) -> Evidence | None:
    """The newest approved evidence of the kinds, else the newest of any state."""
    matching = [e for e in records if e.kind in kinds]
    if not matching:
        return None
    approved = [e for e in matching if e.state == ReviewState.APPROVED]
    pool = approved or matching
    return max(pool, key=lambda e: (e.effective or date.min, e.uploaded_at))
