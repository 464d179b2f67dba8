"""Applicability predicates: does an obligation apply to this subject today?

The catalogue names them in ``applies_when``; all named predicates must hold.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracker.compliance.results import Context


def account_in_service(ctx: Context, today: date) -> bool:
    """An NIA account counts from NIA confirmation until it is cancelled (points 四–六)."""
    acc = ctx.subject
    return acc.state == "active" and acc.removed_on is None


def uses_online_channel(ctx: Context, today: date) -> bool:
    return "online_service" in ctx.subject.channels


def uses_cloud_channel(ctx: Context, today: date) -> bool:
    return "cloud_service" in ctx.subject.channels


def account_holder_left(ctx: Context, today: date) -> bool:
    """5.3: the holder resigned, left, was suspended or transferred (on or before today)."""
    left = ctx.subject.holder_left_on
    return left is not None and left <= today


def has_proxy_queries(ctx: Context, today: date) -> bool:
    """5.6: the account queries on behalf of other users."""
    return bool(ctx.subject.proxy_for)


def audit_found_violation(ctx: Context, today: date) -> bool:
    """7.3–7.5 apply once a self-audit found at least one record not legitimate."""
    return ctx.subject.violations > 0


def contract_handles_personal_data(ctx: Context, today: date) -> bool:
    """8.1, 8.2, 8.4, 8.11: the contracted work touches the public's personal data."""
    return ctx.contract is not None and ctx.contract.handles_personal_data


def contract_custom_development(ctx: Context, today: date) -> bool:
    """8.2 applies only to contracts that include custom system development."""
    return ctx.contract is not None and ctx.contract.custom_development


def contract_active(ctx: Context, today: date) -> bool:
    """A contract's ongoing duties apply until its end date (future contracts included)."""
    return ctx.contract is not None and today <= ctx.contract.end


def staff_touches_sensitive_data(ctx: Context, today: date) -> bool:
    """8.1, 8.6: only staff whose work touches personal or sensitive data."""
    return ctx.subject.touches_sensitive_data


def staff_active(ctx: Context, today: date) -> bool:
    """A staff member's pledges and checks matter while they work on an active contract."""
    return not staff_departed(ctx, today)


def staff_departed(ctx: Context, today: date) -> bool:
    """8.10: the person left, or the contract ended (職務異動、合約終止、離職)."""
    return departure_date(ctx) is not None and departure_date(ctx) <= today


def staff_holds_accounts(ctx: Context, today: date) -> bool:
    """8.10 concerns only staff who held accounts on agency systems."""
    return bool(ctx.subject.accounts)


def departure_date(ctx: Context) -> date | None:
    """The earlier of the staff member's end date and the contract's end date."""
    ends = [d for d in (ctx.subject.end, ctx.contract.end if ctx.contract else None) if d]
    return min(ends) if ends else None


PREDICATES: dict[str, Callable[[Any, date], bool]] = {
    f.__name__: f
    for f in (
        account_in_service,
        uses_online_channel,
        uses_cloud_channel,
        account_holder_left,
        has_proxy_queries,
        audit_found_violation,
        contract_handles_personal_data,
        contract_custom_development,
        contract_active,
        staff_touches_sensitive_data,
        staff_active,
        staff_departed,
        staff_holds_accounts,
    )
}
