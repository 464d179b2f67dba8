"""NIA system accounts (points 四–六): the account, each step of its history, IP changes, proxy authorisations, account-manager changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class NiaAccount:
    """An internal user's account on the NIA systems (point 五).

    ``state`` follows the application flow: draft → first_review → second_review
    → active (from ``active_from``, the date the NIA confirmed); ``removal_due``
    is set when the holder departs, transfers or is suspended, and
    ``removed_on`` when the account was cancelled.  Further states:
    ``nia_review`` (sent to the NIA after the second review), ``rejected``
    (``rejection_reason`` says why) and ``cancelled``.
    ``login`` is the account name as the NIA query logs print it;
    ``holder_id_masked`` the holder's masked national ID (the full number is
    never kept) and ``holder_id_digest`` a keyed digest of the full number, for matching only;
    ``applied_by who drafted the application; ``left_reason``
    one of resigned/left/suspended/transferred; ``proxy_for`` the people this
    account queries for under a proxy authorisation (5.6).
    """

    id: str
    agency_id: str
    holder: str
    unit: str
    state: str = "draft"
    legal_basis: str = ""
    business: str = ""
    channels: tuple[str, ...] = ()
    active_from: date | None = None
    holder_left_on: date | None = None
    removal_due: date | None = None
    removed_on: date | None = None
    first_reviewed_by: str = ""
    second_reviewed_by: str = ""
    ips: tuple[str, ...] = ()
    proxy_for: tuple[str, ...] = ()
    login: str = ""
    holder_id_masked: str = ""
    applied_by: str = ""
    rejection_reason: str = ""
    left_reason: str = ""
    holder_id_digest: str = ""


STATES = ("draft", "first_review", "second_review", "nia_review", "active", "rejected", "cancelled")


OPEN_STATES = ("draft", "first_review", "second_review", "nia_review", "active")


@dataclass(frozen=True)
class AccountStep:
    """One step of an account's history: ``step`` is drafted, submitted, first_review,
    second_review, nia_confirmed, holder_left or cancelled; ``decision`` approved or
    rejected for reviews; ``by`` who did it (a paper review's reviewer), ``actor``
    who recorded it at ``at``; ``on`` the step's own date."""

    id: str
    agency_id: str
    account_id: str
    step: str
    actor: str
    at: datetime
    by: str = ""
    on: date | None = None
    decision: str = ""
    reason: str = ""


@dataclass(frozen=True)
class IpChange:
    """6.4: the registered IP addresses of an account changed from ``old`` to ``new``."""

    id: str
    agency_id: str
    account_id: str
    old: tuple[str, ...]
    new: tuple[str, ...]
    actor: str
    at: datetime
    reason: str = ""


@dataclass(frozen=True)
class ProxyAuthorization:
    """5.6: ``requester`` asked the account's holder to query for them (移民資料代查授權單)."""

    id: str
    agency_id: str
    account_id: str
    requester: str
    granted_on: date
    evidence_id: str
    actor: str
    at: datetime
    requester_unit: str = ""
    case_ref: str = ""
    revoked_on: date | None = None


@dataclass(frozen=True)
class AdminChange:
    """5.4: the agency's account manager changed from ``old`` to ``new``."""

    id: str
    agency_id: str
    old: str
    new: str
    actor: str
    at: datetime
    reason: str = ""
