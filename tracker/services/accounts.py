"""The register of NIA system accounts (移民署資訊系統帳號, points 四–六).

Use cases: draft an application, the unit head's first review (初審), the
account manager's second review (複審), the NIA's confirmation, the holder
leaving (5.3), cancellation, registered IP addresses (6.4), proxy-query
authorisations (5.6) and a change of the agency's account manager (5.4).

Every step is kept as an :class:`AccountStep` beside the account, who and when;
every change goes through the store, so it also lands in the activity log.
Input is checked here and refused with :class:`InvalidInput` before anything is
written; a step the account's state does not allow raises :class:`NotAllowed`.

``actor`` is the signed-in person recording a step.  A review done on paper is
recorded with ``reviewer``, the name of the person who reviewed.

This module is the front door; the work is split by concept:
:mod:`~tracker.services.account_register` (states, the step history, reading,
the shared guards), :mod:`~tracker.services.account_application` (the
application flow, the login, the signed form),
:mod:`~tracker.services.account_departure` (the holder leaving, cancellation)
and :mod:`~tracker.services.account_changes` (IP addresses, proxy
authorisations, the account manager, each kept as history).
"""

from __future__ import annotations

from tracker.domain.accounts import (
    OPEN_STATES,
    STATES,
    AccountStep,
    AdminChange,
    IpChange,
    ProxyAuthorization,
)
from tracker.services.account_application import (
    VENDOR_REFUSAL_EN,
    VENDOR_REFUSAL_ZH,
    attach_application,
    confirm_active,
    first_review,
    register_account,
    second_review,
    set_login,
    submit_account,
)
from tracker.services.account_changes import (
    admin_changes,
    authorize_proxy,
    change_account_admin,
    ip_history,
    proxy_authorizations,
    revoke_proxy,
    set_ips,
)
from tracker.services.account_departure import (
    LEFT_REASONS,
    cancel_account,
    record_holder_left,
    removal_overdue,
)
from tracker.services.account_register import account_steps, list_accounts

__all__ = [
    "LEFT_REASONS",
    "OPEN_STATES",
    "STATES",
    "VENDOR_REFUSAL_EN",
    "VENDOR_REFUSAL_ZH",
    "AccountStep",
    "AdminChange",
    "IpChange",
    "ProxyAuthorization",
    "account_steps",
    "admin_changes",
    "attach_application",
    "authorize_proxy",
    "cancel_account",
    "change_account_admin",
    "confirm_active",
    "first_review",
    "ip_history",
    "list_accounts",
    "proxy_authorizations",
    "record_holder_left",
    "register_account",
    "removal_overdue",
    "revoke_proxy",
    "second_review",
    "set_ips",
    "set_login",
    "submit_account",
]
