"""IT office: every vendor and contract — lists, and forms to create or edit them."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from app_pages._common import attempt, english, get_store, plain, require_role, roc, show_table
from app_pages._contacts_forms import agency_addresses_tab
from tracker.core import clock
from tracker.domain.enums import ProtectionLevel
from tracker.domain.vendors import Agency, Contract, Vendor
from tracker.services.vendors import save_contract, save_vendor

LEVELS = {ProtectionLevel.HIGH: "高", ProtectionLevel.MEDIUM: "中", ProtectionLevel.NORMAL: "普"}

user = require_role("it_office")
store = get_store()
st.title("廠商與委託案")
english("Vendors and contracts")
vendors = {v.id: v for v in sorted(store.all(Vendor), key=lambda v: v.name)}
agencies = {a.id: a for a in store.all(Agency)}
contracts = {c.id: c for c in sorted(store.all(Contract), key=lambda c: (c.vendor_id, c.start))}


tab_vendors, tab_contracts, tab_agencies = st.tabs(["委外廠商", "委託案", "機關通知信箱"])

with tab_vendors:
    show_table(
        pd.DataFrame(
            {
                "廠商名稱": [v.name for v in vendors.values()],
                "統一編號": [v.ubn for v in vendors.values()],
                "聯絡方式": [v.contact for v in vendors.values()],
                "通知信箱": ["、".join(v.contact_emails) for v in vendors.values()],
                "委託案數": [
                    sum(c.vendor_id == v.id for c in contracts.values()) for v in vendors.values()
                ],
            }
        )
    )
    picked = st.selectbox(
        "編輯廠商",
        ["", *vendors],
        key="edit_vendor",
        format_func=lambda k: vendors[k].name if k else "（新增廠商）",
    )
    current = vendors.get(picked)
    with st.form(f"vendor-{picked or 'new'}"):
        name = st.text_input("廠商名稱", value=current.name if current else "")
        ubn = st.text_input(
            "統一編號（8 碼，含檢查碼）", value=current.ubn if current else "", max_chars=8
        )
        contact = st.text_input("聯絡方式", value=current.contact if current else "")
        emails = st.text_area(
            "通知電子郵件（每行一個，收到期提醒）",
            value="\n".join(current.contact_emails) if current else "",
        )
        if st.form_submit_button("儲存廠商", type="primary"):
            with attempt():
                saved = save_vendor(
                    store,
                    user.id,
                    name=name,
                    ubn=ubn,
                    contact=contact,
                    vendor_id=current.id if current else None,
                    contact_emails=emails,
                )
                st.success(f"已儲存 {plain(saved.name)}（{saved.ubn}）")

with tab_contracts:
    show_table(
        pd.DataFrame(
            {
                "委託案": [c.title for c in contracts.values()],
                "廠商": [
                    vendors[c.vendor_id].name if c.vendor_id in vendors else ""
                    for c in contracts.values()
                ],
                "機關": [
                    agencies[c.agency_id].name if c.agency_id in agencies else ""
                    for c in contracts.values()
                ],
                "開始": [roc(c.start) for c in contracts.values()],
                "結束": [roc(c.end) for c in contracts.values()],
                "個資": ["是" if c.handles_personal_data else "否" for c in contracts.values()],
                "客製開發": ["是" if c.custom_development else "否" for c in contracts.values()],
                "防護等級": [LEVELS[c.protection_level] for c in contracts.values()],
                "金額": [c.amount for c in contracts.values()],
            }
        ),
        column_config={"金額": st.column_config.NumberColumn(format="localized")},
    )
    picked = st.selectbox(
        "編輯委託案",
        ["", *contracts],
        key="edit_contract",
        format_func=lambda k: contracts[k].title if k else "（新增委託案）",
    )
    current = contracts.get(picked)
    today = clock.today()
    with st.form(f"contract-{picked or 'new'}"):
        vendor_ids, agency_ids = list(vendors), list(agencies)
        vendor_id = st.selectbox(
            "廠商",
            vendor_ids,
            format_func=lambda k: vendors[k].name,
            index=vendor_ids.index(current.vendor_id) if current else 0,
        )
        agency_id = st.selectbox(
            "機關",
            agency_ids,
            format_func=lambda k: agencies[k].name,
            index=agency_ids.index(current.agency_id) if current else 0,
        )
        title = st.text_input("委託案名稱", value=current.title if current else "")
        left, right = st.columns(2)
        start = left.date_input("契約開始日", value=current.start if current else today)
        end = right.date_input(
            "契約結束日", value=current.end if current else today + timedelta(days=365)
        )
        personal = st.checkbox(
            "涉及民眾個人資料", value=current.handles_personal_data if current else True
        )
        custom = st.checkbox(
            "含客製化資通訊系統開發（需安全性檢測證明，8.2）",
            value=current.custom_development if current else False,
        )
        levels = list(LEVELS)
        level = st.selectbox(
            "防護需求等級",
            levels,
            format_func=LEVELS.get,
            index=levels.index(current.protection_level) if current else 2,
        )
        amount = st.number_input(
            "契約金額（元）", min_value=0, step=1000, value=current.amount if current else 0
        )
        if st.form_submit_button("儲存委託案", type="primary") and vendor_id and agency_id:
            with attempt():
                saved = save_contract(
                    store,
                    user.id,
                    vendor_id=vendor_id,
                    agency_id=agency_id,
                    title=title,
                    start=start,
                    end=end,
                    handles_personal_data=personal,
                    custom_development=custom,
                    protection_level=level,
                    amount=int(amount),
                    contract_id=current.id if current else None,
                )
                st.success(f"已儲存 {plain(saved.title)}")

with tab_agencies:
    agency_addresses_tab(store, user.id, agencies)
