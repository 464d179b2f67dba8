"""Vendor portal: project staff (專案作業人員) — add a person, record a departure and the removal of accounts.

The national ID is typed into a password field, checked and masked by the
service; only the masked form is stored or shown (8.1, 8.10).  Every person is
chosen by id (:func:`app_pages._widgets.choose_record`), so an action lands on
the person chosen even when the lists change after the previous one.
"""

import pandas as pd
import streamlit as st

from app_pages._common import (
    attempt,
    get_store,
    own_record,
    plain,
    require_role,
    roc,
    show_wrapped,
    vendor_contracts,
)
from app_pages._dates import date_text, read_date
from app_pages._widgets import choose_record, done, form_key, show_flash
from tracker.core import clock
from tracker.domain.vendors import Contract, VendorStaff
from tracker.services.corrections import correct_departure
from tracker.services.pledges import pledge_file_name, prepare_pledge
from tracker.services.vendors import add_staff, record_accounts_removed, record_departure

user = require_role("vendor")
store = get_store()
st.title("專案作業人員")
show_flash()
contracts = {c.id: c for c in vendor_contracts(store, user.vendor_id)}
staff = sorted(
    store.all(VendorStaff, vendor=user.vendor_id), key=lambda s: (s.contract_id, s.start)
)
today = clock.today()


def person_label(person: VendorStaff) -> str:
    return f"{person.name}（{person.id_masked}）"


tab_list, tab_add, tab_leave, tab_pledge = st.tabs(
    ["人員名冊", "新增人員", "離職與帳號停用", "下載保密切結書"]
)

with tab_list:
    show_wrapped(
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

with tab_add, st.form(form_key("add_staff")):
    contract_id = choose_record(
        "委託案",
        {c: contracts[c].title for c in contracts},
        key="add_staff_contract",
        default=next(iter(contracts), None),
    )
    name = st.text_input("姓名")
    national_id = st.text_input("身分證統一編號（輸入後僅保存遮蔽後號碼）", type="password")
    start = date_text("到職日", today)
    sensitive = st.checkbox("作業會接觸機敏性資訊（需簽保密切結書）", value=True)
    accounts = st.text_input("於機關系統之帳號（以逗號分隔，可留空）")
    if st.form_submit_button("新增人員", type="primary"):
        if contract_id is None:
            st.warning("請先選擇委託案。")
        else:
            with attempt():
                own_record(store, Contract, contract_id, user)
                person = add_staff(
                    store,
                    user.id,
                    contract_id=contract_id,
                    name=name,
                    national_id=national_id,
                    start=read_date(start, "到職日", past=False),
                    touches_sensitive_data=sensitive,
                    accounts=tuple(a.strip() for a in accounts.replace("，", ",").split(",")),
                )
                done(
                    f"已新增 {person.name}（{person.id_masked}），到職日 {roc(person.start)}",
                    clear="add_staff",
                )

with tab_leave:
    active = {s.id: person_label(s) for s in staff if s.end is None}
    departed = {
        s.id: f"{s.name}（離職 {roc(s.end)}）"
        for s in staff
        if s.end is not None and s.accounts_removed_on is None
    }
    left, right = st.columns(2)
    with left, st.form("departure"):
        st.markdown("**登錄離職或職務異動**")
        who = choose_record("人員", active, key="departure_who")
        left_on = date_text("離職（異動）日", today)
        if st.form_submit_button("登錄離職"):
            if who is None:
                st.warning("請先選擇人員。")
            else:
                with attempt():
                    person = record_departure(
                        store,
                        user.id,
                        own_record(store, VendorStaff, who, user).id,
                        read_date(left_on, "離職（異動）日"),
                    )
                    done(
                        f"已登錄 {person.name} 離職（{roc(person.end)}）；"
                        "請於 3 日內停用其帳號並上傳紀錄。"
                    )
    with right, st.form("accounts_removed"):
        st.markdown("**登錄帳號已停用（刪除）**")
        who = choose_record("人員", departed, key="removed_who")
        removed_on = date_text("停用日", today)
        if st.form_submit_button("登錄帳號停用"):
            if who is None:
                st.warning("請先選擇人員。")
            else:
                with attempt():
                    person = record_accounts_removed(
                        store,
                        user.id,
                        own_record(store, VendorStaff, who, user).id,
                        read_date(removed_on, "停用日"),
                    )
                    done(
                        f"已登錄 {person.name} 之帳號停用（{roc(person.accounts_removed_on)}）；"
                        "請至「合規狀態與上傳」上傳停用紀錄。"
                    )
    with st.expander("更正離職紀錄（登錄錯誤時）"), st.form(form_key("correct_departure")):
        who = choose_record(
            "人員",
            {s.id: f"{s.name}（離職 {roc(s.end)}）" for s in staff if s.end is not None},
            key="correct_departure_who",
        )
        undo = st.radio("更正為", ["撤銷離職（仍在職）", "改正離職日"], horizontal=True) == (
            "撤銷離職（仍在職）"
        )
        right_day = date_text("正確之離職日（改正離職日時）", today)
        reason = st.text_input("更正理由（必填，記入操作日誌）")
        if st.form_submit_button("更正"):
            if who is None:
                st.warning("請先選擇人員。")
            else:
                with attempt():
                    own_record(store, VendorStaff, who, user)
                    day = None if undo else read_date(right_day, "正確之離職日")
                    person = correct_departure(store, user.id, who, reason, left_on=day)
                    state = "在職" if person.end is None else f"離職 {roc(person.end)}"
                    done(f"已更正 {person.name} 之離職紀錄，現為{state}", clear="correct_departure")

with tab_pledge:
    st.markdown(
        "下載預填之專案作業人員保密切結書（第八點第六款、第八款）：每份有唯一表單編號，"
        "請本人簽署後於「合規狀態與上傳」上傳，系統依表單編號比對人員。"
    )
    current = {s.id: person_label(s) for s in staff if s.end is None or s.end >= today}
    who = choose_record("人員", current, key="pledge_who")
    if st.button("產生切結書", type="primary", disabled=who is None, key="make_pledge"):
        with attempt():
            number, data = prepare_pledge(store, user.id, who, vendor_scope=user.vendor_id)
            st.session_state["vendor_pledge"] = (who, number, data)
    made = st.session_state.get("vendor_pledge")
    if made and made[0] in current:
        person = next(s for s in staff if s.id == made[0])
        st.success(f"已產生 {plain(person.name)} 之切結書，表單編號 {made[1]}（{roc(today)}）")
        st.download_button(
            "下載切結書 PDF",
            made[2],
            file_name=pledge_file_name(person, made[1]),
            mime="application/pdf",
            icon=":material/download:",
        )
