"""Fact checks: do the recorded facts satisfy an obligation?

Each returns ``None`` when they do, or a :class:`~tracker.compliance.rules.base.Finding`
naming the status, the reason and the due date.  The catalogue names them in
``check``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tracker.compliance.rules.base import Finding, missing_by
from tracker.compliance.rules.identity import Person, same_person
from tracker.core.clock import local_date
from tracker.domain.enums import Status

if TYPE_CHECKING:
    from tracker.compliance.results import Context


def legal_basis_listed(ctx: Context, today: date) -> Finding | None:
    """Point 三: the account names a listed legal basis and only listed channels."""
    acc = ctx.subject
    if acc.legal_basis not in ctx.catalogue.legal_basis_ids():
        return Finding(
            Status.MISSING, "未載明第三點所列之法令依據", "no legal basis listed in point 3"
        )
    known = {c["id"] for c in ctx.catalogue.query_channels}
    if not acc.channels or set(acc.channels) - known:
        return Finding(
            Status.MISSING, "查詢方式非第三點所列", "query channel not among those of point 3"
        )
    return None


def account_justified(ctx: Context, today: date) -> Finding | None:
    """4.1: a user holds a legal basis and a business need (5.1 2.(2))."""
    acc = ctx.subject
    if not acc.legal_basis or not acc.business.strip():
        return Finding(
            Status.MISSING, "未填寫法令依據或承辦業務", "legal basis or business not stated"
        )
    return None


def first_review_done(ctx: Context, today: date) -> Finding | None:
    """4.2, 5.1 2.(3): the unit head's first review (初審) is recorded."""
    if not ctx.subject.first_reviewed_by:
        return Finding(Status.MISSING, "無使用單位主管初審紀錄", "no first review by the unit head")
    return None


def account_admin_assigned(ctx: Context, today: date) -> Finding | None:
    """4.3, 5.4: the agency has a designated account manager on record."""
    if not ctx.subject.account_admin:
        return Finding(Status.MISSING, "未指派機關帳號管理者", "no account manager designated")
    return None


def nia_account_removed(ctx: Context, today: date) -> Finding | None:
    """5.3: the account is cancelled within the catalogue's days of the holder leaving."""
    acc = ctx.subject
    due = acc.removal_due or acc.holder_left_on + timedelta(days=ctx.obligation.timing.days)
    if acc.removed_on is not None:
        return None
    return missing_by(due, today, ctx, "帳號尚未註銷", "account not yet cancelled")


def no_open_violation(ctx: Context, today: date) -> Finding | None:
    """5.5, 6.1, 6.5, 6.6: no unresolved "not legitimate" self-audit finding on the account."""
    if ctx.subject.id in ctx.facts.flagged_accounts:
        return Finding(
            Status.REJECTED,
            "自主稽核發現不當查詢，尚未結案",
            "a self-audit found an illegitimate query",
        )
    return None


def no_vendor_accounts(ctx: Context, today: date) -> Finding | None:
    """5.7: no current vendor staff member holds an NIA account of this agency.

    People are compared by :func:`tracker.compliance.rules.identity.same_person` (the full national
    ID where both records have it, else the name with the masked ID).
    """
    holders = [
        a.holder
        for a in ctx.facts.accounts
        if a.agency_id == ctx.subject.id
        and a.removed_on is None
        and any(
            same_person(Person(a.holder, a.holder_id_masked, a.holder_id_digest), s)
            for s in ctx.vendor_staff
        )
    ]
    if holders:
        return Finding(
            Status.REJECTED,
            f"委外廠商人員持有帳號：{'、'.join(holders)}",
            f"vendor staff hold accounts: {', '.join(holders)}",
        )
    return None


def retention_current(ctx: Context, today: date) -> Finding | None:
    """6.2: nothing is kept past its retention period."""
    if ctx.facts.retention_overdue:
        n = ctx.facts.retention_overdue
        return Finding(
            Status.OVERDUE, f"{n} 筆資料已逾保存期限", f"{n} records past their retention period"
        )
    return None


def ip_registered(ctx: Context, today: date) -> Finding | None:
    """6.4: the account's connecting IP addresses are registered."""
    if not ctx.subject.ips:
        return Finding(Status.MISSING, "未登錄連線 IP 位址", "no registered IP address")
    return None


def log_chain(ctx: Context, today: date) -> Finding | None:
    """7.1: the activity log is kept whole (its hash chain verifies)."""
    if not ctx.facts.log_chain_ok:
        return Finding(
            Status.REJECTED,
            "操作日誌雜湊鏈驗證失敗",
            "the activity log's hash chain does not verify",
        )
    return None


def self_audits(ctx: Context, today: date) -> Finding | None:
    """7.2: at least ``count`` self-audits closed each calendar year, by the catalogue's deadlines.

    Read as: the first closed by 30 June, the second by 31 December.  While the
    audits done keep up with the deadlines passed, the agency is on track.
    """
    timing = ctx.obligation.timing
    done = sum(
        1
        for a in ctx.facts.audits
        if a.agency_id == ctx.subject.id and a.closed_on and a.closed_on.year == today.year
    )
    deadlines = [date(today.year, int(d[:2]), int(d[3:])) for d in timing.deadlines] or [
        date(today.year, 12, 31)
    ]
    if done >= timing.count:
        return None
    passed = sum(1 for d in deadlines if d < today)
    upcoming = [d for d in deadlines if d >= today]
    if done < passed:
        return Finding(
            Status.OVERDUE,
            f"本年度已完成 {done}/{timing.count} 次，已逾期限",
            f"{done} of {timing.count} done this year, a deadline has passed",
            deadlines[passed - 1],
        )
    nxt = upcoming[done - passed] if done - passed < len(upcoming) else deadlines[-1]
    if (nxt - today).days <= ctx.catalogue.due_soon_days:
        return Finding(
            Status.DUE_SOON,
            f"本年度已完成 {done}/{timing.count} 次",
            f"{done} of {timing.count} done this year",
            nxt,
        )
    return None


def violation_notified(ctx: Context, today: date) -> Finding | None:
    """7.3: the ethics and IT units are notified of a violation."""
    audit = ctx.subject
    if audit.notified_on:
        return None
    start = audit.closed_on or today
    due = start + timedelta(days=ctx.obligation.timing.days)
    return missing_by(
        due, today, ctx, "尚未通知政風及資訊單位", "ethics and IT units not yet notified"
    )


def corrective_action_done(ctx: Context, today: date) -> Finding | None:
    """7.4: each deficiency is corrected, by its corrective action's due date."""
    audit = ctx.subject
    if audit.corrective_done_on:
        return None
    if audit.corrective_due is None:
        return Finding(Status.MISSING, "未訂改善措施與期限", "no corrective action with a due date")
    return missing_by(
        audit.corrective_due, today, ctx, "改善措施尚未完成", "corrective action not done"
    )


def recommendation_recorded(ctx: Context, today: date) -> Finding | None:
    """7.5: the reward-or-discipline recommendation (even "none") is on record."""
    if not ctx.subject.recommendation.strip():
        return Finding(Status.MISSING, "未記錄獎懲建議", "no reward or discipline recommendation")
    return None


def incident_reported(ctx: Context, today: date) -> Finding | None:
    """8.3: the vendor notified the department within the catalogue's hours of knowing.

    A late report the IT office accepted with a recorded reason (``late_reason``) is resolved.
    """
    incident = ctx.subject
    limit = timedelta(hours=ctx.obligation.timing.hours)
    deadline: datetime = incident.known_at + limit
    if incident.reported_at is not None:
        if incident.reported_at <= deadline or getattr(incident, "late_reason", ""):
            return None
        late = incident.reported_at - incident.known_at
        hours = round(late.total_seconds() / 3600, 1)
        return Finding(
            Status.OVERDUE,
            f"知悉後 {hours} 小時才通報",
            f"reported {hours} hours after becoming aware",
            local_date(deadline),
        )
    if ctx.now > deadline:
        return Finding(
            Status.OVERDUE, "資安事件尚未通報", "incident not yet reported", local_date(deadline)
        )
    return Finding(
        Status.DUE_SOON, "資安事件待通報", "incident must be reported now", local_date(deadline)
    )


def pc_attestations(ctx: Context, today: date) -> Finding | None:
    """8.11: the PC is attested offline, exclusive to the contract, licensed software only."""
    pc = ctx.subject
    missing = [
        zh
        for ok, zh in (
            (pc.offline, "未連網"),
            (pc.exclusive, "專案專用"),
            (pc.licensed_software_only, "軟體皆合法授權"),
        )
        if not ok
    ]
    if missing:
        return Finding(
            Status.MISSING,
            f"尚未聲明：{'、'.join(missing)}",
            f"{len(missing)} attestation(s) missing",
        )
    return None


CHECKS: dict[str, Callable[[Any, date], Finding | None]] = {
    f.__name__: f
    for f in (
        legal_basis_listed,
        account_justified,
        first_review_done,
        account_admin_assigned,
        nia_account_removed,
        no_open_violation,
        no_vendor_accounts,
        retention_current,
        ip_registered,
        log_chain,
        self_audits,
        violation_notified,
        corrective_action_done,
        recommendation_recorded,
        incident_reported,
        pc_attestations,
    )
}
