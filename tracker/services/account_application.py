"""Applying for an NIA account (5.1, 5.2, 5.7): the draft, two reviews, the NIA's confirmation.

Also the account's NIA login and the signed application form kept as evidence.

Point 五: 初審 by the unit head (使用單位主管), 複審 by the account manager (機關帳號管理者).  The
reviewer of a level is the signed-in user (``actor``); ``reviewer`` is a name they may type for the
record (e.g. 「科長 王大明」), kept exactly as typed, else the record names ``actor``.  The same person
never takes both levels of one application: the second review is refused when its actor or name is
the first review's.  An ``actor`` who is an account of the web app must hold the level's role
(``unit_head`` for the first review, ``account_admin`` for the second).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from tracker.compliance.catalogue import Catalogue
from tracker.compliance.loader import default_catalogue
from tracker.core.errors import InvalidInput, NotAllowed
from tracker.documents.labels import ROLE
from tracker.domain.accounts import OPEN_STATES, NiaAccount
from tracker.domain.enums import SubjectKind
from tracker.domain.evidence import Evidence
from tracker.domain.users import AppUser
from tracker.domain.vendors import Agency
from tracker.services.account_eligibility import refuse_second_application, refuse_vendor_staff
from tracker.services.account_register import (
    account_steps,
    new_step,
    refuse_future,
    require_open,
    require_state,
)
from tracker.services.identity import national_id_digest
from tracker.services.vendors import clean_text, masked_national_id
from tracker.storage.blobs import BlobStore
from tracker.storage.registry import new_id
from tracker.storage.store import Store


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

    Refuses (5.7) a holder flagged as vendor staff or who is a current vendor staff member, and a
    second open application for the same person (:mod:`tracker.services.account_eligibility`).
    ``legal_basis`` must be one of point 三's list and ``channels`` among its query channels.
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
        holder_id_digest=national_id_digest(store, national_id),
        applied_by=actor,
    )
    with store.locked():
        refuse_vendor_staff(store, account, is_vendor_staff)
        refuse_second_application(store, account)
        _refuse_duplicate_login(store, account)
        step = new_step(account, "drafted", actor)
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

    The reviewer is ``actor``, named ``reviewer`` when typed; neither may be the holder.  A rejection
    needs a reason.
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
    """4.3, 5.1 2.(4): the account manager's second review; approval sends it to the NIA.

    Refused (NotAllowed) when ``actor`` or the reviewer's name is the first review's.
    """
    return _review(store, actor, account_id, "second_review", approve, reviewer, reason, on)


def confirm_active(store: Store, actor: str, account_id: str, active_from: date) -> NiaAccount:
    """5.1 4.: the NIA confirmed the account by e-mail; it is in service from ``active_from``."""
    refuse_future(active_from, "開通日期", "activation date")
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


def set_login(store: Store, actor: str, account_id: str, login: str) -> NiaAccount:
    """Record the account name the NIA assigned (as its query logs print it), e.g. after activation."""
    login = clean_text(login, "移民署帳號", "NIA login", max_len=60)
    with store.locked():
        account = require_open(store, account_id)
        changed = replace(account, login=login)
        _refuse_duplicate_login(store, changed)
        store.put(changed, actor=actor, action="nia_account_login_set")
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
    name = clean_text(reviewer, "審核者姓名", "reviewer", required=False, max_len=60) or actor
    reason = clean_text(
        reason, "退件理由", "reason for rejection", required=not approve, max_len=500
    )
    refuse_future(on, "審核日期", "review date")
    with store.locked():
        account = require_state(store, account_id, stage)
        _refuse_wrong_reviewer(store, actor, stage, account)
        if account.holder in (name, actor):
            raise NotAllowed(
                "審核者不得為申請人本人", "the holder may not review their own application"
            )
        if stage == "second_review":
            _refuse_same_reviewer(store, account, actor, name)
        if approve:
            nxt = "second_review" if stage == "first_review" else "nia_review"
            field = "first_reviewed_by" if stage == "first_review" else "second_reviewed_by"
            changed = replace(account, state=nxt, **{field: name})
        else:
            changed = replace(account, state="rejected", rejection_reason=reason)
        decision = "approved" if approve else "rejected"
        step = new_step(changed, stage, actor, by=name, on=on, decision=decision, reason=reason)
        store.put_many([changed, step], actor=actor, action=f"nia_account_{stage}_{decision}")
    return changed


REVIEW_ROLES = {"first_review": "unit_head", "second_review": "account_admin"}
_LEVEL = {"first_review": "初審（使用單位主管）", "second_review": "複審（機關帳號管理者）"}


def _refuse_wrong_reviewer(store: Store, actor: str, stage: str, account: NiaAccount) -> None:
    """Point 五, for a signed-in account of the web app: a review level is taken only with the
    level's role, and the first review only by the head of the applicant's own unit."""
    user = store.get(AppUser, actor)
    if user is None:
        return
    role = REVIEW_ROLES[stage]
    if user.role != role:
        raise NotAllowed(
            f"{_LEVEL[stage]}須由{ROLE[role]}辦理", f"{stage} is taken by the {role} role"
        )
    if user.role != "unit_head" or user.unit == account.unit:
        return
    if not user.unit:
        raise NotAllowed(
            f"{user.id} 尚未設定所屬單位，請先以 python -m tracker users unit {user.id} 單位名稱 設定",
            f"{user.id} has no unit: set it with users unit",
        )
    raise NotAllowed(
        f"此申請屬「{account.unit}」，{user.id} 為「{user.unit}」之使用單位主管，不得初審",
        f"the application is of unit {account.unit!r}, {user.id} heads {user.unit!r}",
    )


def _refuse_same_reviewer(store: Store, account: NiaAccount, actor: str, name: str) -> None:
    """Point 五: the first and the second review of one application are two people."""
    first = [
        s
        for s in account_steps(store, account.id)
        if s.step == "first_review" and s.decision == "approved"
    ]
    if first and {actor, name} & {first[-1].actor, first[-1].by}:
        raise NotAllowed(
            f"同一人不得同時辦理初審與複審：{account.holder} 之申請已由 {first[-1].by} 初審，"
            "複審須由另一位機關帳號管理者辦理（第五點）",
            "the same person may not take both review levels of one application",
        )


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
        account = require_state(store, account_id, from_state)
        changed = replace(account, **changes)
        step = new_step(changed, step_name, actor, on=on)
        store.put_many([changed, step], actor=actor, action=f"nia_account_{step_name}")
    return changed


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


def _refuse_duplicate_login(store: Store, account: NiaAccount) -> None:
    """A log account must name one register entry: no two open accounts of an agency share a login."""
    if not account.login:
        return
    for other in store.all(NiaAccount, agency=account.agency_id):
        if other.id != account.id and other.login == account.login and other.state in OPEN_STATES:
            raise InvalidInput(
                f"移民署帳號 {account.login} 已登錄於 {other.holder}",
                f"NIA login {account.login} already belongs to {other.holder}",
            )
