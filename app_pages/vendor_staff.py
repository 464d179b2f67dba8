"""Vendor portal: project staff (專案作業人員) — add a person, record a departure and the removal of accounts.

The national ID is typed into a password field, checked and masked by the
service; only the masked form is stored or shown (8.1, 8.10).
"""

import pandas as pd
import streamlit as st

from app_pages._common import (
    attempt,
    english,
    get_store,
    own_record,
    plain,
    require_role,
    roc,
    show_table,
    vendor_contracts,
)
from tracker.core import clock
from tracker.domain.vendors import Contract, VendorStaff
from tracker.services.vendors import add_staff, record_accounts_removed, record_departure

user = require_role("vendor")
store = get_store()
st.title("專案作業人員")
english("Project staff: additions, departures (8.10) and account removal")
contracts = {c.id: c for c in vendor_contracts(store, user.vendor_id)}
staff = sorted(
    store.all(VendorStaff, vendor=user.vendor_id), key=lambda s: (s.contract_id, s.start)
)
today = clock.today()

tab_list, tab_add, tab_leave = st.tabs(["人員名冊", "新增人員", "離職與帳號停用"])

with tab_list:
    show_table(
        pd.DataFrame(
            {
                "姓名": [s.name for s in staff],
                "身分證統一編號": [s.id_masked for s in staff],
                "委託案": [
                    contracts[s.contract_id].title if s.contract_id in contracts else ""
                    for s in staff
                ],
                "到職日": [roc(s.start) for s in staff],
                "離職日": [roc(s.end) for s in staff],
                "接觸機敏資訊": ["是" if s.touches_sensitive_data else "否" for s in staff],
                "系統帳號": ["、".join(s.accounts) for s in staff],
                "帳號停用日": [roc(s.accounts_removed_on) for s in staff],
            }
        )
    )

with tab_add, st.form("add_staff", clear_on_submit=True):
    contract_id = st.selectbox("委託案", list(contracts), format_func=lambda c: contracts[c].title)
    name = st.text_input("姓名")
    national_id = st.text_input("身分證統一編號（輸入後僅保存遮蔽後號碼）", type="password")
    start = st.date_input("到職日", value=today)
    sensitive = st.checkbox("作業會接觸機敏性資訊（需簽保密切結書）", value=True)
    accounts = st.text_input("於機關系統之帳號（以逗號分隔，可留空）")
    if st.form_submit_button("新增人員", type="primary") and contract_id:
        with attempt():
            own_record(store, Contract, contract_id, user)
            person = add_staff(
                store,
                user.id,
                contract_id=contract_id,
                name=name,
                national_id=national_id,
                start=start,
                touches_sensitive_data=sensitive,
                accounts=tuple(a.strip() for a in accounts.replace("，", ",").split(",")),
            )
            st.success(f"已新增 {plain(person.name)}（{plain(person.id_masked)}）")

with tab_leave:
    active = {s.id: s for s in staff if s.end is None}
    departed = {s.id: s for s in staff if s.end is not None and s.accounts_removed_on is None}
    left, right = st.columns(2)
    with left, st.form("departure"):
        st.markdown("**登錄離職或職務異動**")
        who = st.selectbox(
            "人員", list(active), format_func=lambda s: f"{active[s].name}（{active[s].id_masked}）"
        )
        left_on = st.date_input("離職（異動）日", value=today, max_value=today)
        if st.form_submit_button("登錄離職") and who:
            with attempt():
                person = record_departure(
                    store, user.id, own_record(store, VendorStaff, who, user).id, left_on
                )
                st.success(
                    f"已登錄 {plain(person.name)} 於 {roc(person.end)} 離職；請於 3 日內停用其帳號並上傳紀錄。"
                )
    with right, st.form("accounts_removed"):
        st.markdown("**登錄帳號已停用（刪除）**")
        who = st.selectbox(
            "人員",
            list(departed),
            key="removed_who",
            format_func=lambda s: f"{departed[s].name}（離職 {roc(departed[s].end)}）",
        )
        removed_on = st.date_input("停用日", value=today, max_value=today)
        if st.form_submit_button("登錄帳號停用") and who:
            with attempt():
                person = record_accounts_removed(
                    store, user.id, own_record(store, VendorStaff, who, user).id, removed_on
                )
                st.success(
                    f"已登錄 {plain(person.name)} 之帳號於 {roc(removed_on)} 停用；請至「合規狀態與上傳」上傳停用紀錄。"
                )
