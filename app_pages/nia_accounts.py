"""移民署系統帳號: the register of NIA accounts and their application flow (points 四–六).

The account manager drafts an application, records the unit head's first
review (初審) and their own second review (複審), the NIA's confirmation, the
registered IP addresses (6.4), proxy authorisations (5.6), the holder leaving
(5.3) and the cancellation; a manager (主管) sees the same tables, no forms.
National IDs are typed into a password field and only the masked form is kept.
"""

import pandas as pd
import streamlit as st

from app_pages._common import (
    READ_ONLY_NOTE,
    attempt,
    english,
    get_blobs,
    get_store,
    require_role,
    roc,
    show_table,
)
from tracker import clock
from tracker.catalogue import default_catalogue
from tracker.domain import Agency
from tracker.services import accounts

STATE = {
    "draft": "草稿（待送出）",
    "first_review": "待初審",
    "second_review": "待複審",
    "nia_review": "待移民署複核",
    "active": "使用中",
    "rejected": "退件",
    "cancelled": "已註銷",
}
STEP = {
    "drafted": "填寫申請表",
    "submitted": "送出申請",
    "first_review": "初審（使用單位主管）",
    "second_review": "複審（機關帳號管理者）",
    "nia_confirmed": "移民署核准開通",
    "holder_left": "使用者異動",
    "cancelled": "帳號註銷",
}
DECISION = {"approved": "通過", "rejected": "退件", "": ""}
LEFT = {"resigned": "辭職", "left": "離職", "suspended": "停職", "transferred": "職務調動"}

user = require_role("account_admin", "manager")
editable = user.role == "account_admin"
store = get_store()
catalogue = default_catalogue()
bases = {b["id"]: b["zh"] for b in catalogue.legal_bases}
channels = {c["id"]: c["zh"] for c in catalogue.query_channels}
today = clock.today()

st.title("移民署資訊系統帳號")
english(
    "NIA system accounts: applications, reviews, IP addresses, proxies, departures (points 4–6)"
)
if not editable:
    st.caption(READ_ONLY_NOTE)
agencies = {
    a.id: a for a in sorted(store.all(Agency), key=lambda a: (a.parent_id is not None, a.name))
}
if not agencies:
    st.info("尚未建立機關資料。")
    st.stop()
agency_id = st.selectbox("機關", list(agencies), format_func=lambda a: agencies[a].name)
agency = agencies[agency_id]
register = accounts.list_accounts(store, agency_id)


def done(message: str = "已登錄") -> None:
    """Confirm and redraw the page with the new state."""
    st.toast(message)
    st.rerun()


def label(account) -> str:
    return f"{account.holder}（{account.unit}，{STATE.get(account.state, account.state)}）"


def removal_text(account) -> str:
    if account.removal_due is None or account.removed_on is not None:
        return ""
    return roc(account.removal_due) + (
        "（逾期）" if accounts.removal_overdue(account, today) else ""
    )


tabs = st.tabs(
    ["帳號清冊", "帳號明細與作業", "新增申請", "機關帳號管理者"]
    if editable
    else ["帳號清冊", "帳號明細", "機關帳號管理者"]
)
tab_list, tab_detail = tabs[0], tabs[1]
tab_new = tabs[2] if editable else None
tab_admin = tabs[-1]

with tab_list:
    overdue = [a for a in register if accounts.removal_overdue(a, today)]
    if overdue:
        st.error(
            f"{len(overdue)} 個帳號之使用者已異動但逾期未註銷（第五點第三款）："
            + "、".join(a.holder for a in overdue)
        )
    show_table(
        pd.DataFrame(
            {
                "使用者": [a.holder for a in register],
                "身分證號": [a.holder_id_masked for a in register],
                "單位": [a.unit for a in register],
                "移民署帳號": [a.login for a in register],
                "狀態": [STATE.get(a.state, a.state) for a in register],
                "法令依據": [bases.get(a.legal_basis, a.legal_basis) for a in register],
                "查詢方式": ["、".join(channels.get(c, c) for c in a.channels) for a in register],
                "開通日": [roc(a.active_from) for a in register],
                "IP 位址": ["、".join(a.ips) for a in register],
                "異動日": [roc(a.holder_left_on) for a in register],
                "註銷期限": [removal_text(a) for a in register],
                "註銷日": [roc(a.removed_on) for a in register],
            }
        )
    )


def show_history(account) -> None:
    st.markdown("**申請與異動歷程**")
    steps = accounts.account_steps(store, account.id)
    show_table(
        pd.DataFrame(
            {
                "日期": [roc(s.on) for s in steps],
                "作業": [STEP.get(s.step, s.step) for s in steps],
                "結果": [DECISION.get(s.decision, s.decision) for s in steps],
                "承辦／審核者": [s.by for s in steps],
                "理由": [LEFT.get(s.reason, s.reason) for s in steps],
                "登錄者": [s.actor for s in steps],
                "登錄時間": [roc(s.at) for s in steps],
            }
        )
    )
    st.markdown("**IP 位址異動紀錄（第六點第四款）**")
    changes = accounts.ip_history(store, account.id)
    show_table(
        pd.DataFrame(
            {
                "時間": [roc(c.at) for c in changes],
                "原 IP": ["、".join(c.old) or "—" for c in changes],
                "新 IP": ["、".join(c.new) for c in changes],
                "原因": [c.reason for c in changes],
                "登錄者": [c.actor for c in changes],
            }
        )
    )
    st.markdown("**代查授權（移民資料代查授權單，第五點第六款）**")
    grants = accounts.proxy_authorizations(store, account.id)
    show_table(
        pd.DataFrame(
            {
                "委託查詢人": [g.requester for g in grants],
                "單位": [g.requester_unit for g in grants],
                "個案編號": [g.case_ref for g in grants],
                "授權日": [roc(g.granted_on) for g in grants],
                "終止日": [roc(g.revoked_on) for g in grants],
                "登錄者": [g.actor for g in grants],
            }
        )
    )


def flow_forms(account) -> None:
    """The one form the account's state allows next in the application flow."""
    if account.state == "draft":
        if st.button("送出申請（送使用單位主管初審）", type="primary", key="submit"):
            with attempt():
                accounts.submit_account(store, user.id, account.id)
                done()
    elif account.state in ("first_review", "second_review"):
        first = account.state == "first_review"
        with st.form(f"review_{account.state}"):
            st.markdown("**初審（使用單位主管）**" if first else "**複審（機關帳號管理者）**")
            reviewer = st.text_input("審核者姓名", value="" if first else user.id)
            decision = st.radio("審核結果", ["通過", "退件"], horizontal=True)
            reason = st.text_input("退件理由（退件時必填）")
            on = st.date_input("審核日期", value=today, max_value=today)
            if st.form_submit_button("登錄審核結果", type="primary"):
                review = accounts.first_review if first else accounts.second_review
                with attempt():
                    review(
                        store,
                        user.id,
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
                    accounts.confirm_active(store, user.id, account.id, active_from)
                    done()


def service_forms(account) -> None:
    """IP addresses and the signed application form; proxies, departure and cancellation once active."""
    with st.expander(
        "連線 IP 位址與申請表", expanded=account.state == "active" and not account.ips
    ):
        ip_and_application_forms(account)
    if account.state == "active":
        with st.expander("代查授權（第五點第六款）"):
            proxy_forms(account)
        with st.expander(
            "使用者異動與帳號註銷（第五點第三款）", expanded=account.holder_left_on is not None
        ):
            departure_forms(account)


def ip_and_application_forms(account) -> None:
    with st.form("login"):
        login = st.text_input("移民署系統帳號（查詢紀錄上顯示之帳號）", value=account.login)
        if st.form_submit_button("儲存帳號名稱"):
            with attempt():
                accounts.set_login(store, user.id, account.id, login)
                done()
    left, right = st.columns(2)
    with left, st.form("ips"):
        st.markdown("**登錄連線 IP 位址（第六點第四款）**")
        ips = st.text_area("IP 位址（每行一個）", value="\n".join(account.ips))
        reason = st.text_input("異動原因", key="ip_reason")
        if st.form_submit_button("儲存 IP 位址"):
            with attempt():
                accounts.set_ips(store, user.id, account.id, ips.split(), reason=reason)
                done()
    with right, st.form("application", clear_on_submit=True):
        st.markdown("**上傳已核章之申請表（公務機關應用入出境電子資料申請表）**")
        upload = st.file_uploader("申請表 PDF", type=["pdf"], key="application_pdf")
        effective = st.date_input("申請表日期", value=today, max_value=today)
        if st.form_submit_button("上傳申請表") and upload is not None:
            with attempt():
                ev = accounts.attach_application(
                    store,
                    get_blobs(),
                    user.id,
                    account.id,
                    data=upload.getvalue(),
                    filename=upload.name,
                    effective=effective,
                )
                st.success(f"已上傳，待資訊室審查（{ev.filename}）")


def departure_forms(account) -> None:
    left, right = st.columns(2)
    if account.holder_left_on is None:
        with left, st.form("holder_left"):
            st.markdown("**使用者辭職、離職、停職或職務調動**")
            reason = st.selectbox("異動原因", list(LEFT), format_func=LEFT.get)
            left_on = st.date_input("異動日", value=today)
            st.caption(f"登錄後應於 {catalogue.get('5.3').timing.days} 日內註銷帳號。")
            if st.form_submit_button("登錄異動"):
                with attempt():
                    accounts.record_holder_left(
                        store, user.id, account.id, left_on=left_on, reason=reason
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
                accounts.cancel_account(
                    store, user.id, account.id, removed_on=removed_on, reason=reason
                )
                done()


def proxy_forms(account) -> None:
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
                    accounts.authorize_proxy(
                        store,
                        get_blobs(),
                        user.id,
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
        g.id: g for g in accounts.proxy_authorizations(store, account.id) if g.revoked_on is None
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
                accounts.revoke_proxy(store, user.id, grant, revoked_on=revoked_on)
                done()


with tab_detail:
    if not register:
        st.info("此機關尚無帳號。")
    else:
        by_id = {a.id: a for a in register}
        chosen = by_id[st.selectbox("帳號", list(by_id), format_func=lambda a: label(by_id[a]))]
        st.markdown(
            f"**{chosen.holder}**　{chosen.unit}　狀態：{STATE.get(chosen.state, chosen.state)}　"
            f"法令依據：{bases.get(chosen.legal_basis, chosen.legal_basis)}　承辦業務：{chosen.business}"
        )
        if chosen.rejection_reason:
            st.warning(f"退件理由：{chosen.rejection_reason}")
        if accounts.removal_overdue(chosen, today):
            st.error(
                f"使用者已於 {roc(chosen.holder_left_on)} 異動，註銷期限 {roc(chosen.removal_due)} 已過。"
            )
        if editable:
            flow_forms(chosen)
            if chosen.state in accounts.OPEN_STATES:
                service_forms(chosen)
        show_history(chosen)

if tab_new is not None:
    with tab_new, st.form("new_account", clear_on_submit=True):
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
                account = accounts.register_account(
                    store,
                    user.id,
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
                    f"已建立 {account.holder} 之申請（{account.holder_id_masked}），請於「帳號明細與作業」送出。"
                )

with tab_admin:
    st.markdown(f"現任機關帳號管理者：**{agency.account_admin or '（未指派）'}**")
    changes = accounts.admin_changes(store, agency_id)
    show_table(
        pd.DataFrame(
            {
                "時間": [roc(c.at) for c in changes],
                "原管理者": [c.old or "—" for c in changes],
                "新管理者": [c.new for c in changes],
                "原因": [c.reason for c in changes],
                "登錄者": [c.actor for c in changes],
            }
        )
    )
    if editable:
        with st.form("admin_change", clear_on_submit=True):
            st.markdown("**變更機關帳號管理者（第五點第四款）**")
            new_admin = st.text_input("新任管理者姓名")
            reason = st.text_input("異動原因")
            if st.form_submit_button("登錄變更"):
                with attempt():
                    accounts.change_account_admin(
                        store, user.id, agency_id, new_admin, reason=reason
                    )
                    done()

st.caption(
    f"資料日期：{roc(today)}　·　註銷期限＝異動日＋{catalogue.get('5.3').timing.days} 日（本系統設定）"
)
