"""Changes kept as history: an account's IP addresses (6.4), proxy-query authorisations
(5.6) and the agency's account manager (5.4)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from tracker.core import clock
from tracker.core.errors import InvalidInput, NotAllowed
from tracker.domain.accounts import AdminChange, IpChange, NiaAccount, ProxyAuthorization
from tracker.domain.enums import SubjectKind
from tracker.domain.vendors import Agency
from tracker.services.account_register import history_of, refuse_future, require_open
from tracker.services.vendors import clean_text
from tracker.storage.blobs import BlobStore
from tracker.storage.registry import new_id
from tracker.storage.store import Store


def set_ips(
    store: Store, actor: str, account_id: str, ips: Iterable[str], *, reason: str = ""
) -> NiaAccount:
    """6.4: replace the account's registered IP addresses, keeping the change in its history.

    Each address must be a single IPv4 or IPv6 address.  No change writes nothing.
    """
    new = _ip_list(ips)
    reason = clean_text(reason, "異動原因", "reason", required=False, max_len=500)
    with store.locked():
        account = require_open(store, account_id)
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
    refuse_future(granted_on, "授權日期", "authorisation date")
    account = require_open(store, account_id)
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


def ip_history(store: Store, account_id: str) -> list[IpChange]:
    return history_of(store, IpChange, account_id)


def proxy_authorizations(store: Store, account_id: str) -> list[ProxyAuthorization]:
    return history_of(store, ProxyAuthorization, account_id)


def admin_changes(store: Store, agency_id: str) -> list[AdminChange]:
    return sorted(store.all(AdminChange, agency=agency_id), key=lambda c: c.at)


# --- helpers -------------------------------------------------------------------


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
