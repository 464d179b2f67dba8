"""The 移民署系統帳號 page's forms, for the account manager (:mod:`app_pages.nia_accounts`).

Each form records one step through the account services (:mod:`tracker.services.account_application` and its siblings) and redraws
the page; ``actor`` is the signed-in user's id, ``today`` the page's Taipei day.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from app_pages._accounts_ui import LEFT
from app_pages._common import attempt, get_blobs, plain, roc
from tracker.domain.accounts import NiaAccount
from tracker.domain.vendors import Agency
from tracker.services import account_application, account_changes, account_departure
from tracker.storage.store import Store


def done(message: str = "已登錄") -> None:
    """Confirm and redraw the page with the new state."""
    st.toast(message)
    st.rerun()


def flow_forms(store: Store, actor: str, account: NiaAccount, today: date) -> None:
    """The one form the account's state allows next in the application flow."""
    if account.state == "draft":
        if st.button("送出申請（送使用單位主管初審）", type="primary", key="submit"):
            with attempt():
                account_application.submit_account(store, actor, account.id)
                done()
    elif account.state in ("first_review", "second_review"):
        first = account.state == "first_review"
        with st.form(f"review_{account.state}"):
            st.markdown("**初審（使用單位主管）**" if first else "**複審（機關帳號管理者）**")
            reviewer = st.text_input("審核者姓名", value="" if first else actor)
            decision = st.radio("審核結果", ["通過", "退件"], horizontal=True)
            reason = st.text_input("退件理由（退件時必填）")
            on = st.date_input("審核日期", value=today, max_value=today)
            if st.form_submit_button("登錄審核結果", type="primary"):
                review = (
                    account_application.first_review if first else account_application.second_review
                )
                with attempt():
                    review(
                        store,
                        actor,
                        account.id,
                        approve=decision == "通過",
                        reviewer=reviewer,
                        reason=reason,
                        on=on,
                    )
                    done()
    elif account.state == "nia_review":
        with st.form("confirm"):
            st.markdown("**移民署核准開通（以移民署電子郵件通知之日期為準）**")
            active_from = st.date_input("開通日期", value=today, max_value=today)
            if st.form_submit_button("登錄開通", type="primary"):
                with attempt():
                    account_application.confirm_active(store, actor, account.id, active_from)
                    done()


def service_forms(
    store: Store, actor: str, account: NiaAccount, today: date, removal_days: int
) -> None:
    """IP addresses and the signed application form; proxies, departure and cancellation once active."""
    with st.expander(
        "連線 IP 位址與申請表", expanded=account.state == "active" and not account.ips
    ):
        ip_and_application_forms(store, actor, account, today)
    if account.state == "active":
        with st.expander("代查授權（第五點第六款）"):
            proxy_forms(store, actor, account, today)
        with st.expander(
            "使用者異動與帳號註銷（第五點第三款）", expanded=account.holder_left_on is not None
        ):
            departure_forms(store, actor, account, today, removal_days)


def ip_and_application_forms(store: Store, actor: str, account: NiaAccount, today: date) -> None:
    with st.form("login"):
        login = st.text_input("移民署系統帳號（查詢紀錄上顯示之帳號）", value=account.login)
        if st.form_submit_button("儲存帳號名稱"):
            with attempt():
                account_application.set_login(store, actor, account.id, login)
                done()
    left, right = st.columns(2)
    with left, st.form("ips"):
        st.markdown("**登錄連線 IP 位址（第六點第四款）**")
        ips = st.text_area("IP 位址（每行一個）", value="\n".join(account.ips))
        reason = st.text_input("異動原因", key="ip_reason")
        if st.form_submit_button("儲存 IP 位址"):
            with attempt():
                account_changes.set_ips(store, actor, account.id, ips.split(), reason=reason)
                done()
    with right, st.form("application", clear_on_submit=True):
        st.markdown("**上傳已核章之申請表（公務機關應用入出境電子資料申請表）**")
        upload = st.file_uploader("申請表 PDF", type=["pdf"], key="application_pdf")
        effective = st.date_input("申請表日期", value=today, max_value=today)
        if st.form_submit_button("上傳申請表") and upload is not None:
            with attempt():
                ev = account_application.attach_application(
                    store,
                    get_blobs(),
                    actor,
                    account.id,
                    data=upload.getvalue(),
                    filename=upload.name,
                    effective=effective,
                )
                st.success(f"已上傳，待資訊室審查（{plain(ev.filename)}）")


def departure_forms(
    store: Store, actor: str, account: NiaAccount, today: date, removal_days: int
) -> None:
    left, right = st.columns(2)
    if account.holder_left_on is None:
        with left, st.form("holder_left"):
            st.markdown("**使用者辭職、離職、停職或職務調動**")
            reason = st.selectbox("異動原因", list(LEFT), format_func=LEFT.get)
            left_on = st.date_input("異動日", value=today)
            st.caption(f"登錄後應於 {removal_days} 日內註銷帳號。")
            if st.form_submit_button("登錄異動"):
                with attempt():
                    account_departure.record_holder_left(
                        store, actor, account.id, left_on=left_on, reason=reason
                    )
                    done()
    else:
        left.info(
            f"已登錄{LEFT.get(account.left_reason, '異動')}：{roc(account.holder_left_on)}，"
            f"註銷期限 {roc(account.removal_due)}"
        )
    with right, st.form("cancel"):
        st.markdown("**帳號註銷**")
        removed_on = st.date_input("註銷日", value=today, max_value=today)
        reason = st.text_input("註銷原因", key="cancel_reason")
        if st.form_submit_button("登錄註銷"):
            with attempt():
                account_departure.cancel_account(
                    store, actor, account.id, removed_on=removed_on, reason=reason
                )
                done()


def proxy_forms(store: Store, actor: str, account: NiaAccount, today: date) -> None:
    left, right = st.columns(2)
    with left, st.form("proxy", clear_on_submit=True):
        st.markdown("**新增代查授權（移民資料代查授權單）**")
        requester = st.text_input("委託查詢人姓名")
        unit = st.text_input("委託人單位")
        case_ref = st.text_input("個案編號")
        granted_on = st.date_input("授權日", value=today, max_value=today)
        upload = st.file_uploader("授權單 PDF", type=["pdf"], key="proxy_pdf")
        if st.form_submit_button("登錄代查授權"):
            if upload is None:
                st.error("請上傳已簽署之代查授權單")
            else:
                with attempt():
                    account_changes.authorize_proxy(
                        store,
                        get_blobs(),
                        actor,
                        account.id,
                        requester=requester,
                        requester_unit=unit,
                        case_ref=case_ref,
                        granted_on=granted_on,
                        data=upload.getvalue(),
                        filename=upload.name,
                    )
                    done()
    grants = {
        g.id: g
        for g in account_changes.proxy_authorizations(store, account.id)
        if g.revoked_on is None
    }
    with right, st.form("revoke"):
        st.markdown("**終止代查授權**")
        grant = st.selectbox(
            "授權",
            list(grants),
            format_func=lambda g: f"{grants[g].requester}（{roc(grants[g].granted_on)}）",
        )
        revoked_on = st.date_input("終止日", value=today, max_value=today)
        if st.form_submit_button("終止授權") and grant:
            with attempt():
                account_changes.revoke_proxy(store, actor, grant, revoked_on=revoked_on)
                done()


def new_account_form(store: Store, actor: str, agency_id: str, bases: dict, channels: dict) -> None:
    """The application form (5.1); vendor staff are refused (5.7)."""
    with st.form("new_account", clear_on_submit=True):
        st.markdown("**填寫申請表（第五點第一款）**")
        holder = st.text_input("使用者姓名")
        national_id = st.text_input("身分證統一編號（僅保存遮蔽後號碼）", type="password")
        unit = st.text_input("使用單位（科、室、組）")
        login = st.text_input("移民署系統帳號（查詢紀錄上顯示之帳號，可於開通後補填）")
        basis = st.selectbox("法令依據（第三點所列）", list(bases), format_func=bases.get)
        business = st.text_area("承辦業務")
        chosen_channels = st.multiselect(
            "查詢方式", list(channels), format_func=channels.get, default=["online_service"]
        )
        vendor = st.checkbox("申請人為委外廠商人員")
        st.caption("依第五點第七款，委外機構及廠商人員不得申請使用移民署資訊系統。")
        if st.form_submit_button("建立申請", type="primary"):
            with attempt():
                account = account_application.register_account(
                    store,
                    actor,
                    agency_id=agency_id,
                    holder=holder,
                    national_id=national_id,
                    unit=unit,
                    legal_basis=basis,
                    business=business,
                    channels=chosen_channels,
                    login=login,
                    is_vendor_staff=vendor,
                )
                st.success(
                    f"已建立 {plain(account.holder)} 之申請（{plain(account.holder_id_masked)}），"
                    "請於「帳號明細與作業」送出。"
                )


def admin_form(store: Store, actor: str, agency: Agency) -> None:
    """A change of the agency's account manager (5.4)."""
    with st.form("admin_change", clear_on_submit=True):
        st.markdown("**變更機關帳號管理者（第五點第四款）**")
        new_admin = st.text_input("新任管理者姓名")
        reason = st.text_input("異動原因")
        if st.form_submit_button("登錄變更"):
            with attempt():
                account_changes.change_account_admin(
                    store, actor, agency.id, new_admin, reason=reason
                )
                done()
