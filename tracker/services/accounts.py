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
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from tracker import clock
from tracker.blobs import BlobStore
from tracker.catalogue import Catalogue, default_catalogue
from tracker.domain import Agency, Evidence, NiaAccount, SubjectKind, VendorStaff
from tracker.errors import InvalidInput, NotAllowed
from tracker.services.vendors import clean_text, masked_national_id
from tracker.store import Store, new_id, register_collection

STATES = ("draft", "first_review", "second_review", "nia_review", "active", "rejected", "cancelled")
OPEN_STATES = ("draft", "first_review", "second_review", "nia_review", "active")
LEFT_REASONS = ("resigned", "left", "suspended", "transferred")
VENDOR_REFUSAL_ZH = "依第五點第七款，委外廠商人員不得申請使用移民署資訊系統"
VENDOR_REFUSAL_EN = "point 5.7: vendor staff may not apply for NIA system accounts"


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


def _by_agency(record) -> str:
    return f"a-{record.agency_id}"


for _name, _cls in (
    ("account_steps", AccountStep),
    ("ip_changes", IpChange),
    ("proxy_authorizations", ProxyAuthorization),
    ("admin_changes", AdminChange),
):
    register_collection(_name, _cls, _by_agency)


# --- the application ---------------------------------------------------------


def register_account(
    store: Store,
    actor: str,
    *,
    agency_id: str,
    holder: str,
    national_id: str,
    unit: str,
    legal_basis: str,
    business: str,
    channels: Iterable[str],
    login: str = "",
    is_vendor_staff: bool = False,
    catalogue: Catalogue | None = None,
) -> NiaAccount:
    """Draft an application (5.1 2.(1)–(2)); the account starts in ``draft``.

    Refuses (5.7) a holder flagged as vendor staff, or whose name or masked ID
    matches a current vendor staff member.  ``legal_basis`` must be one of point
    三's list and ``channels`` among its query channels.
    """
    catalogue = catalogue or default_catalogue()
    agency = store.require(Agency, agency_id)
    account = NiaAccount(
        id=new_id("na"),
        agency_id=agency.id,
        holder=clean_text(holder, "使用者姓名", "holder", max_len=60),
        unit=clean_text(unit, "使用單位", "unit", max_len=60),
        legal_basis=_legal_basis(catalogue, legal_basis),
        business=clean_text(business, "承辦業務", "business", max_len=500),
        channels=_channels(catalogue, channels),
        login=clean_text(login, "移民署帳號", "NIA login", required=False, max_len=60),
        holder_id_masked=masked_national_id(national_id),
        applied_by=actor,
    )
    _refuse_vendor_staff(store, account, is_vendor_staff)
    _refuse_duplicate_login(store, account)
    step = _step(account, "drafted", actor)
    store.put_many([account, step], actor=actor, action="nia_account_drafted")
    return account


def submit_account(store: Store, actor: str, account_id: str) -> NiaAccount:
    """The user sends the drafted application to the unit head (5.1 2.(2)→(3))."""
    return _advance(store, actor, account_id, "draft", "submitted", state="first_review")


def first_review(
    store: Store,
    actor: str,
    account_id: str,
    *,
    approve: bool,
    reviewer: str = "",
    reason: str = "",
    on: date | None = None,
) -> NiaAccount:
    """4.2, 5.1 2.(3): the unit head's first review; approval passes it to the account manager.

    ``reviewer`` (default: ``actor``) may not be the holder; a rejection needs a reason.
    """
    return _review(store, actor, account_id, "first_review", approve, reviewer, reason, on)


def second_review(
    store: Store,
    actor: str,
    account_id: str,
    *,
    approve: bool,
    reviewer: str = "",
    reason: str = "",
    on: date | None = None,
) -> NiaAccount:
    """4.3, 5.1 2.(4): the account manager's second review; approval sends it to the NIA."""
    return _review(store, actor, account_id, "second_review", approve, reviewer, reason, on)


def confirm_active(store: Store, actor: str, account_id: str, active_from: date) -> NiaAccount:
    """5.1 4.: the NIA confirmed the account by e-mail; it is in service from ``active_from``."""
    _not_future(active_from, "開通日期", "activation date")
    return _advance(
        store,
        actor,
        account_id,
        "nia_review",
        "nia_confirmed",
        state="active",
        on=active_from,
        active_from=active_from,
    )


# --- in service ----------------------------------------------------------------


def record_holder_left(
    store: Store,
    actor: str,
    account_id: str,
    *,
    left_on: date,
    reason: str,
    catalogue: Catalogue | None = None,
) -> NiaAccount:
    """5.3: the holder resigned, left, was suspended or transferred on ``left_on``.

    Starts the removal deadline: ``removal_due`` is ``left_on`` plus the
    catalogue's days for 5.3 (the regulation sets no number; see its reading).
    """
    if reason not in LEFT_REASONS:
        raise InvalidInput(
            "異動原因須為辭職、離職、停職或職務調動",
            f"reason must be one of {', '.join(LEFT_REASONS)}",
        )
    days = (catalogue or default_catalogue()).get("5.3").timing.days
    with store.locked():
        account = _require_open(store, account_id)
        if account.holder_left_on is not None:
            raise NotAllowed("此帳號已登錄使用者異動", "the holder's departure is already recorded")
        changed = replace(
            account,
            holder_left_on=left_on,
            left_reason=reason,
            removal_due=left_on + timedelta(days=days),
        )
        step = _step(changed, "holder_left", actor, on=left_on, reason=reason)
        store.put_many([changed, step], actor=actor, action="nia_account_holder_left")
    return changed


def cancel_account(
    store: Store, actor: str, account_id: str, *, removed_on: date, reason: str = ""
) -> NiaAccount:
    """5.3, 5.5: the account was cancelled (註銷) on ``removed_on``; the state becomes ``cancelled``."""
    _not_future(removed_on, "註銷日期", "cancellation date")
    reason = clean_text(reason, "註銷原因", "reason", required=False, max_len=500)
    with store.locked():
        account = _require_open(store, account_id)
        if account.active_from and removed_on < account.active_from:
            raise InvalidInput(
                "註銷日期不得早於開通日期", "the cancellation is before the activation"
            )
        changed = replace(account, state="cancelled", removed_on=removed_on)
        step = _step(changed, "cancelled", actor, on=removed_on, reason=reason)
        store.put_many([changed, step], actor=actor, action="nia_account_cancelled")
    return changed


def set_login(store: Store, actor: str, account_id: str, login: str) -> NiaAccount:
    """Record the account name the NIA assigned (as its query logs print it), e.g. after activation."""
    login = clean_text(login, "移民署帳號", "NIA login", max_len=60)
    with store.locked():
        account = _require_open(store, account_id)
        changed = replace(account, login=login)
        _refuse_duplicate_login(store, changed)
        store.put(changed, actor=actor, action="nia_account_login_set")
    return changed


def removal_overdue(account: NiaAccount, today: date) -> bool:
    """5.3: the holder has left, the account is not cancelled and ``removal_due`` has passed."""
    return (
        account.removed_on is None
        and account.removal_due is not None
        and today > account.removal_due
    )


def set_ips(
    store: Store, actor: str, account_id: str, ips: Iterable[str], *, reason: str = ""
) -> NiaAccount:
    """6.4: replace the account's registered IP addresses, keeping the change in its history.

    Each address must be a single IPv4 or IPv6 address.  No change writes nothing.
    """
    new = _ip_list(ips)
    reason = clean_text(reason, "異動原因", "reason", required=False, max_len=500)
    with store.locked():
        account = _require_open(store, account_id)
        if new == account.ips:
            return account
        changed = replace(account, ips=new)
        change = IpChange(
            id=new_id("ip"),
            agency_id=account.agency_id,
            account_id=account.id,
            old=account.ips,
            new=new,
            actor=actor,
            at=clock.now(),
            reason=reason,
        )
        store.put_many([changed, change], actor=actor, action="nia_account_ips_changed")
    return changed


def attach_application(
    store: Store,
    blobs: BlobStore,
    actor: str,
    account_id: str,
    *,
    data: bytes,
    filename: str,
    effective: date | None = None,
    **upload,
) -> Evidence:
    """5.1 1.: keep the signed 公務機關應用入出境電子資料申請表 (a PDF) as the account's evidence."""
    from tracker.services.evidence import upload_evidence

    account = store.require(NiaAccount, account_id)
    obligation = "5.1" if "online_service" in account.channels or not account.channels else "5.2"
    return upload_evidence(
        store,
        blobs,
        actor,
        kind="account_application",
        data=data,
        filename=filename,
        obligation_id=obligation,
        subject_kind=SubjectKind.NIA_ACCOUNT,
        subject_id=account.id,
        effective=effective,
        **upload,
    )


def authorize_proxy(
    store: Store,
    blobs: BlobStore,
    actor: str,
    account_id: str,
    *,
    requester: str,
    granted_on: date,
    data: bytes,
    filename: str,
    requester_unit: str = "",
    case_ref: str = "",
    **upload,
) -> ProxyAuthorization:
    """5.6: the account's holder may query for ``requester`` under the signed 移民資料代查授權單.

    The form is stored as evidence (``proxy_query_form``); ``requester`` joins the
    account's ``proxy_for``.
    """
    from tracker.services.evidence import upload_evidence

    requester = clean_text(requester, "委託查詢人", "requester", max_len=60)
    requester_unit = clean_text(
        requester_unit, "委託人單位", "requester unit", required=False, max_len=60
    )
    case_ref = clean_text(case_ref, "個案編號", "case reference", required=False, max_len=60)
    _not_future(granted_on, "授權日期", "authorisation date")
    account = _require_open(store, account_id)
    evidence = upload_evidence(
        store,
        blobs,
        actor,
        kind="proxy_query_form",
        data=data,
        filename=filename,
        subject_kind=SubjectKind.NIA_ACCOUNT,
        subject_id=account.id,
        effective=granted_on,
        **upload,
    )
    grant = ProxyAuthorization(
        id=new_id("px"),
        agency_id=account.agency_id,
        account_id=account.id,
        requester=requester,
        granted_on=granted_on,
        evidence_id=evidence.id,
        actor=actor,
        at=clock.now(),
        requester_unit=requester_unit,
        case_ref=case_ref,
    )
    with store.locked():
        account = store.require(NiaAccount, account_id)
        proxy_for = tuple(dict.fromkeys((*account.proxy_for, requester)))
        store.put_many(
            [grant, replace(account, proxy_for=proxy_for)], actor=actor, action="proxy_authorized"
        )
    return grant


def revoke_proxy(
    store: Store, actor: str, authorization_id: str, *, revoked_on: date
) -> ProxyAuthorization:
    """5.6: the authorisation ends; the requester leaves ``proxy_for`` unless another grant remains."""
    with store.locked():
        grant = store.require(ProxyAuthorization, authorization_id)
        if grant.revoked_on is not None:
            raise NotAllowed("此授權已終止", "the authorisation is already revoked")
        ended = replace(grant, revoked_on=revoked_on)
        others = [
            g
            for g in proxy_authorizations(store, grant.account_id)
            if g.id != grant.id and g.revoked_on is None and g.requester == grant.requester
        ]
        account = store.require(NiaAccount, grant.account_id)
        if not others:
            account = replace(
                account, proxy_for=tuple(p for p in account.proxy_for if p != grant.requester)
            )
        store.put_many([ended, account], actor=actor, action="proxy_revoked")
    return ended


def change_account_admin(
    store: Store, actor: str, agency_id: str, new_admin: str, *, reason: str = ""
) -> Agency:
    """5.4: the agency's account manager changes; the change is kept as an :class:`AdminChange`."""
    new_admin = clean_text(new_admin, "機關帳號管理者", "account manager", max_len=60)
    reason = clean_text(reason, "異動原因", "reason", required=False, max_len=500)
    with store.locked():
        agency = store.require(Agency, agency_id)
        if agency.account_admin == new_admin:
            raise InvalidInput("新任管理者與現任相同", "the new account manager is the current one")
        change = AdminChange(
            id=new_id("adm"),
            agency_id=agency.id,
            old=agency.account_admin,
            new=new_admin,
            actor=actor,
            at=clock.now(),
            reason=reason,
        )
        changed = replace(agency, account_admin=new_admin)
        store.put_many([changed, change], actor=actor, action="account_admin_changed")
    return changed


# --- reading -------------------------------------------------------------------


def list_accounts(store: Store, agency_id: str | None = None) -> list[NiaAccount]:
    """Accounts of one agency (or all), by agency, unit and holder."""
    part = f"a-{agency_id}" if agency_id else None
    return sorted(
        store.all(NiaAccount, partition=part), key=lambda a: (a.agency_id, a.unit, a.holder, a.id)
    )


def account_steps(store: Store, account_id: str) -> list[AccountStep]:
    return _history(store, AccountStep, account_id)


def ip_history(store: Store, account_id: str) -> list[IpChange]:
    return _history(store, IpChange, account_id)


def proxy_authorizations(store: Store, account_id: str) -> list[ProxyAuthorization]:
    return _history(store, ProxyAuthorization, account_id)


def admin_changes(store: Store, agency_id: str) -> list[AdminChange]:
    return sorted(store.all(AdminChange, partition=f"a-{agency_id}"), key=lambda c: c.at)


def _history(store: Store, cls: type, account_id: str) -> list:
    account = store.require(NiaAccount, account_id)
    records = store.all(cls, partition=f"a-{account.agency_id}")
    return sorted((r for r in records if r.account_id == account_id), key=lambda r: r.at)


# --- helpers -------------------------------------------------------------------


def _review(
    store: Store,
    actor: str,
    account_id: str,
    stage: str,
    approve: bool,
    reviewer: str,
    reason: str,
    on: date | None,
) -> NiaAccount:
    reviewer = clean_text(reviewer or actor, "審核者", "reviewer", max_len=60)
    reason = clean_text(
        reason, "退件理由", "reason for rejection", required=not approve, max_len=500
    )
    _not_future(on, "審核日期", "review date")
    with store.locked():
        account = _require_state(store, account_id, stage)
        if reviewer == account.holder:
            raise NotAllowed(
                "審核者不得為申請人本人", "the holder may not review their own application"
            )
        if approve:
            nxt = "second_review" if stage == "first_review" else "nia_review"
            field = "first_reviewed_by" if stage == "first_review" else "second_reviewed_by"
            changed = replace(account, state=nxt, **{field: reviewer})
        else:
            changed = replace(account, state="rejected", rejection_reason=reason)
        decision = "approved" if approve else "rejected"
        step = _step(changed, stage, actor, by=reviewer, on=on, decision=decision, reason=reason)
        store.put_many([changed, step], actor=actor, action=f"nia_account_{stage}_{decision}")
    return changed


def _advance(
    store: Store,
    actor: str,
    account_id: str,
    from_state: str,
    step_name: str,
    *,
    on: date | None = None,
    **changes,
) -> NiaAccount:
    with store.locked():
        account = _require_state(store, account_id, from_state)
        changed = replace(account, **changes)
        step = _step(changed, step_name, actor, on=on)
        store.put_many([changed, step], actor=actor, action=f"nia_account_{step_name}")
    return changed


def _require_state(store: Store, account_id: str, state: str) -> NiaAccount:
    account = store.require(NiaAccount, account_id)
    if account.state != state:
        raise NotAllowed(
            f"帳號目前為「{account.state}」，無法進行此步驟",
            f"the account is {account.state}, this step needs {state}",
        )
    return account


def _require_open(store: Store, account_id: str) -> NiaAccount:
    account = store.require(NiaAccount, account_id)
    if account.state not in OPEN_STATES:
        raise NotAllowed("帳號已註銷或已退件", f"the account is {account.state}")
    return account


def _step(
    account: NiaAccount,
    step: str,
    actor: str,
    *,
    by: str = "",
    on: date | None = None,
    decision: str = "",
    reason: str = "",
) -> AccountStep:
    return AccountStep(
        id=new_id("st"),
        agency_id=account.agency_id,
        account_id=account.id,
        step=step,
        actor=actor,
        at=clock.now(),
        by=by or actor,
        on=on or clock.today(),
        decision=decision,
        reason=reason,
    )


def _legal_basis(catalogue: Catalogue, value: str) -> str:
    """Point 三: the legal basis must be one the regulation lists."""
    if value not in catalogue.legal_basis_ids():
        raise InvalidInput(
            "法令依據須為第三點所列之法令", f"legal basis '{value}' is not listed in point 3"
        )
    return value


def _channels(catalogue: Catalogue, values: Iterable[str]) -> tuple[str, ...]:
    """Point 三: at least one channel, each one of the two the regulation names."""
    chosen = tuple(dict.fromkeys(v for v in values if v))
    known = {c["id"] for c in catalogue.query_channels}
    if not chosen or set(chosen) - known:
        raise InvalidInput(
            "查詢方式須為第三點所列之線上資料查詢或雲端資料查詢",
            f"channels must be among {', '.join(sorted(known))}",
        )
    return chosen


def _refuse_vendor_staff(store: Store, account: NiaAccount, flagged: bool) -> None:
    """5.7: refuse vendor staff by the explicit flag, by name or by masked national ID.

    Both are compared with staff still on a contract (no end date, or one not
    yet passed), as the 5.7 status check does.  A masked ID keeps six of ten
    characters, so a match is read as the same person.
    """
    today = clock.today()
    current = [s for s in store.all(VendorStaff) if s.end is None or s.end >= today]
    if flagged or any(
        s.name == account.holder or s.id_masked == account.holder_id_masked for s in current
    ):
        raise NotAllowed(VENDOR_REFUSAL_ZH, VENDOR_REFUSAL_EN)


def _refuse_duplicate_login(store: Store, account: NiaAccount) -> None:
    """A log account must name one register entry: no two open accounts of an agency share a login."""
    if not account.login:
        return
    for other in store.all(NiaAccount, partition=f"a-{account.agency_id}"):
        if other.id != account.id and other.login == account.login and other.state in OPEN_STATES:
            raise InvalidInput(
                f"移民署帳號 {account.login} 已登錄於 {other.holder}",
                f"NIA login {account.login} already belongs to {other.holder}",
            )


def _ip_list(values: Iterable[str]) -> tuple[str, ...]:
    found = []
    for raw in values:
        text = (raw or "").strip()
        if not text:
            continue
        try:
            found.append(str(ipaddress.ip_address(text)))
        except ValueError:
            raise InvalidInput(
                f"IP 位址格式錯誤：{text[:50]}", f"not an IP address: {text[:50]!r}"
            ) from None
    if not found:
        raise InvalidInput("請至少登錄一個 IP 位址", "at least one IP address is required")
    return tuple(
        sorted(set(found), key=lambda a: (ipaddress.ip_address(a).version, ipaddress.ip_address(a)))
    )


def _not_future(day: date | None, zh: str, en: str) -> None:
    if day is not None and day > clock.today():
        raise InvalidInput(f"{zh}不得晚於今天", f"the {en} is in the future")
