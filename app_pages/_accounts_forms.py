"""The 移民署系統帳號 page's forms, for the account manager (:mod:`app_pages.nia_accounts`).

Each form records one step through the account services (:mod:`tracker.services.account_application`
and its siblings), confirms it by name and date and redraws the page; ``actor`` is the signed-in
user's id, ``today`` the page's Taipei day.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from app_pages._accounts_ui import LEFT
from app_pages._common import attempt, get_blobs, plain, roc
from app_pages._dates import date_text, read_date
from app_pages._widgets import choose_record, done, field_key, form_key, set_choice
from tracker.domain.accounts import NiaAccount
from tracker.domain.vendors import Agency
from tracker.services import account_application, account_changes, account_departure
from tracker.storage.store import Store


def flow_forms(store: Store, user, account: NiaAccount, today: date) -> None:
    """The one step the account's state allows next, for the role that takes it (point 五)."""
    role, actor = user.role, user.id
    if account.state == "draft" and role == "account_admin":
        if st.button("送出申請（送使用單位主管初審）", type="primary", key="submit"):
            with attempt():
                account_application.submit_account(store, actor, account.id)
                done(f"已送出 {account.holder} 之申請，待使用單位主管初審（{roc(today)}）")
    elif account.state in REVIEW_BY:
        if role == "unit_head" and account.state == "first_review" and user.unit != account.unit:
            st.info(
                f"此申請屬「{plain(account.unit)}」，由該單位主管初審"
                f"（您的單位：{plain(user.unit) or '未設定'}）。"
            )
        elif role == REVIEW_BY[account.state]:
            review_form(store, actor, account, today)
        else:
            st.info(WAITING[account.state])
    elif account.state == "nia_review" and role == "account_admin":
        with st.form("confirm"):
            st.markdown("**移民署核准開通（以移民署電子郵件通知之日期為準）**")
            active_from = date_text("開通日期", today)
            if st.form_submit_button("登錄開通", type="primary"):
                with attempt():
                    active_from = read_date(active_from, "開通日期")
                    account_application.confirm_active(store, actor, account.id, active_from)
                    done(f"已登錄 {account.holder} 之帳號開通（{roc(active_from)}）")


REVIEW_BY = {"first_review": "unit_head", "second_review": "account_admin"}
REVIEW_BY_ROLE = {role: state for state, role in REVIEW_BY.items()}
WAITING = {
    "first_review": "待使用單位主管初審：請使用單位主管以自己的帳號登入本系統辦理。",
    "second_review": "待機關帳號管理者複審：初審與複審不得為同一人（第五點）。",
}


def review_form(store: Store, actor: str, account: NiaAccount, today: date) -> None:
    """初審 or 複審, taken by the signed-in user; a typed name is recorded as typed."""
    first = account.state == "first_review"
    level = "初審（使用單位主管）" if first else "複審（機關帳號管理者）"
    with st.form(f"review_{account.state}-{account.id}"):
        st.markdown(f"**{level}**　審核者：{plain(actor)}（登入帳號）")
        if not first and account.first_reviewed_by:
            st.caption(f"初審者：{plain(account.first_reviewed_by)}；初審與複審不得為同一人。")
        name = st.text_input("審核者姓名職稱（選填，照填記錄；留空則記錄登入帳號）")
        decision = st.radio("審核結果", ["通過", "退件"], horizontal=True)
        reason = st.text_input("退件理由（退件時必填）")
        on = date_text("審核日期", today)
        if st.form_submit_button("登錄審核結果", type="primary"):
            review = (
                account_application.first_review if first else account_application.second_review
            )
            with attempt():
                on = read_date(on, "審核日期")
                review(
                    store,
                    actor,
                    account.id,
                    approve=decision == "通過",
                    reviewer=name,
                    reason=reason,
                    on=on,
                )
                who = name.strip() or actor
                done(
                    f"已登錄 {account.holder} 之{level[:2]}：{decision}（{roc(on)}，審核者 {who}）"
                )


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
                done(f"已儲存 {account.holder} 之移民署帳號 {login.strip()}")
    left, right = st.columns(2)
    with left, st.form("ips"):
        st.markdown("**登錄連線 IP 位址（第六點第四款）**")
        ips = st.text_area("IP 位址（每行一個）", value="\n".join(account.ips))
        reason = st.text_input("異動原因", key="ip_reason")
        if st.form_submit_button("儲存 IP 位址"):
            with attempt():
                changed = account_changes.set_ips(
                    store, actor, account.id, ips.split(), reason=reason
                )
                done(f"已儲存 {account.holder} 之 IP 位址：{'、'.join(changed.ips) or '（無）'}")
    with right, st.form(form_key("application")):
        st.markdown("**上傳已核章之申請表（公務機關應用入出境電子資料申請表）**")
        upload = st.file_uploader("申請表 PDF", type=["pdf"], key=field_key("application", "pdf"))
        effective = date_text("申請表日期", today)
        submitted = st.form_submit_button("上傳申請表")
    if submitted and upload is None:
        right.warning("請先選擇申請表 PDF 檔。")
    elif submitted:
        with attempt():
            effective = read_date(effective, "申請表日期")
            ev = account_application.attach_application(
                store,
                get_blobs(),
                actor,
                account.id,
                data=upload.getvalue(),
                filename=upload.name,
                effective=effective,
            )
            done(
                f"已上傳 {account.holder} 之申請表 {ev.filename}（{roc(effective)}），待資訊室審查",
                clear="application",
            )


def departure_forms(
    store: Store, actor: str, account: NiaAccount, today: date, removal_days: int
) -> None:
    left, right = st.columns(2)
    if account.holder_left_on is None:
        with left, st.form("holder_left"):
            st.markdown("**使用者辭職、離職、停職或職務調動**")
            reason = st.selectbox("異動原因", list(LEFT), format_func=LEFT.get)
            left_on = date_text("異動日", today)
            st.caption(f"登錄後應於 {removal_days} 日內註銷帳號。")
            if st.form_submit_button("登錄異動"):
                with attempt():
                    left_on = read_date(left_on, "異動日", past=False)
                    account_departure.record_holder_left(
                        store, actor, account.id, left_on=left_on, reason=reason
                    )
                    done(f"已登錄 {account.holder} {LEFT[reason]}（{roc(left_on)}）")
    else:
        left.info(
            f"已登錄{LEFT.get(account.left_reason, '異動')}：{roc(account.holder_left_on)}，"
            f"註銷期限 {roc(account.removal_due)}"
        )
    with right, st.form("cancel"):
        st.markdown("**帳號註銷**")
        removed_on = date_text("註銷日", today)
        reason = st.text_input("註銷原因", key="cancel_reason")
        if st.form_submit_button("登錄註銷"):
            with attempt():
                removed_on = read_date(removed_on, "註銷日")
                account_departure.cancel_account(
                    store, actor, account.id, removed_on=removed_on, reason=reason
                )
                done(f"已登錄 {account.holder} 之帳號註銷（{roc(removed_on)}）")


def proxy_forms(store: Store, actor: str, account: NiaAccount, today: date) -> None:
    left, right = st.columns(2)
    with left, st.form(form_key("proxy")):
        st.markdown("**新增代查授權（移民資料代查授權單）**")
        requester = st.text_input("委託查詢人姓名")
        unit = st.text_input("委託人單位")
        case_ref = st.text_input("個案編號")
        granted_on = date_text("授權日", today)
        upload = st.file_uploader("授權單 PDF", type=["pdf"], key=field_key("proxy", "pdf"))
        if st.form_submit_button("登錄代查授權"):
            if upload is None:
                st.error("請上傳已簽署之代查授權單")
            else:
                with attempt():
                    granted_on = read_date(granted_on, "授權日")
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
                    done(
                        f"已登錄 {requester.strip()} 之代查授權（{roc(granted_on)}）", clear="proxy"
                    )
    grants = {
        g.id: g
        for g in account_changes.proxy_authorizations(store, account.id)
        if g.revoked_on is None
    }
    with right, st.form("revoke"):
        st.markdown("**終止代查授權**")
        grant = choose_record(
            "授權",
            {g: f"{grants[g].requester}（{roc(grants[g].granted_on)}）" for g in grants},
            key=f"revoke_grant-{account.id}",
        )
        revoked_on = date_text("終止日", today)
        if st.form_submit_button("終止授權"):
            if grant is None:
                st.warning("請先選擇授權。")
            else:
                with attempt():
                    revoked_on = read_date(revoked_on, "終止日")
                    account_changes.revoke_proxy(store, actor, grant, revoked_on=revoked_on)
                    done(f"已終止 {grants[grant].requester} 之代查授權（{roc(revoked_on)}）")


def new_account_form(store: Store, actor: str, agency_id: str, bases: dict, channels: dict) -> None:
    """The application form (5.1); vendor staff are refused (5.7)."""
    with st.form(form_key("new_account")):
        st.markdown("**填寫申請表（第五點第一款）**")
        holder = st.text_input("使用者姓名")
        national_id = st.text_input("身分證統一編號（僅保存遮蔽後號碼）", type="password")
        unit = st.text_input("使用單位（科、室、組）")
        login = st.text_input("移民署系統帳號（查詢紀錄上顯示之帳號，可於開通後補填）")
        basis = st.selectbox("法令依據（第三點所列）", list(bases), format_func=bases.get)
        business = st.text_area("承辦業務")
        chosen_channels = st.multiselect(
            "查詢方式",
            list(channels),
            format_func=channels.get,
            default=["online_service"],
            placeholder="請選擇…",
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
                set_choice(f"account_pick-{agency_id}", account.id)
                done(
                    f"已建立 {account.holder}（{account.holder_id_masked}）之申請草稿；"
                    "請於「帳號明細與作業」送出。",
                    clear="new_account",
                )


def admin_form(store: Store, actor: str, agency: Agency) -> None:
    """A change of the agency's account manager (5.4)."""
    with st.form(form_key("admin_change")):
        st.markdown("**變更機關帳號管理者（第五點第四款）**")
        new_admin = st.text_input("新任管理者姓名")
        reason = st.text_input("異動原因")
        if st.form_submit_button("登錄變更"):
            with attempt():
                account_changes.change_account_admin(
                    store, actor, agency.id, new_admin, reason=reason
                )
                done(
                    f"已登錄 {agency.name} 之機關帳號管理者變更為 {new_admin.strip()}",
                    clear="admin_change",
                )
