"""IT office: every vendor and contract — lists, and forms to create or edit them."""

from datetime import timedelta

import pandas as pd
import streamlit as st

from app_pages._common import attempt, get_store, require_role, roc, show_wrapped
from app_pages._contacts_forms import agency_addresses_tab
from app_pages._dates import date_text, read_date
from app_pages._widgets import choose_record, done, set_choice, show_flash
from tracker.core import clock
from tracker.domain.enums import ProtectionLevel
from tracker.domain.vendors import Agency, Contract, Vendor
from tracker.services.vendors import save_contract, save_vendor

LEVELS = {ProtectionLevel.HIGH: "高", ProtectionLevel.MEDIUM: "中", ProtectionLevel.NORMAL: "普"}

user = require_role("it_office")
store = get_store()
st.title("廠商與委託案")
show_flash()
NEW = "__new__"
vendors = {v.id: v for v in sorted(store.all(Vendor), key=lambda v: v.name)}
agencies = {a.id: a for a in store.all(Agency)}
contracts = {c.id: c for c in sorted(store.all(Contract), key=lambda c: (c.vendor_id, c.start))}


tab_vendors, tab_contracts, tab_agencies = st.tabs(["委外廠商", "委託案", "機關通知信箱"])

with tab_vendors:
    show_wrapped(
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
    picked = choose_record(
        "編輯廠商",
        {NEW: "（新增廠商）", **{k: v.name for k, v in vendors.items()}},
        key="edit_vendor",
        default=NEW,
    )
    current = vendors.get(picked)
    with st.form(f"vendor-{picked or NEW}"):
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
                set_choice("edit_vendor", saved.id)
                verb = "更新" if current else "新增"
                done(f"已{verb}廠商 {saved.name}（統一編號 {saved.ubn}）")

with tab_contracts:
    show_wrapped(
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
    picked = choose_record(
        "編輯委託案",
        {NEW: "（新增委託案）", **{k: c.title for k, c in contracts.items()}},
        key="edit_contract",
        default=NEW,
    )
    current = contracts.get(picked)
    today = clock.today()
    with st.form(f"contract-{picked or NEW}"):
        vendor_id = choose_record(
            "廠商",
            {k: v.name for k, v in vendors.items()},
            key=f"contract_vendor-{picked}",
            default=current.vendor_id if current else None,
        )
        agency_id = choose_record(
            "機關",
            {k: a.name for k, a in agencies.items()},
            key=f"contract_agency-{picked}",
            default=current.agency_id if current else None,
        )
        title = st.text_input("委託案名稱", value=current.title if current else "")
        left, right = st.columns(2)
        start = date_text("契約開始日", current.start if current else today, container=left)
        end = date_text(
            "契約結束日", current.end if current else today + timedelta(days=365), container=right
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
        if st.form_submit_button("儲存委託案", type="primary"):
            if not (vendor_id and agency_id):
                st.warning("請選擇廠商與機關。")
            else:
                with attempt():
                    saved = save_contract(
                        store,
                        user.id,
                        vendor_id=vendor_id,
                        agency_id=agency_id,
                        title=title,
                        start=read_date(start, "契約開始日", past=False),
                        end=read_date(end, "契約結束日", past=False),
                        handles_personal_data=personal,
                        custom_development=custom,
                        protection_level=level,
                        amount=int(amount),
                        contract_id=current.id if current else None,
                    )
                    set_choice("edit_contract", saved.id)
                    verb = "更新" if current else "新增"
                    done(
                        f"已{verb}委託案 {saved.title}（{roc(saved.start)}–{roc(saved.end)}，"
                        f"{vendors[saved.vendor_id].name}）"
                    )

with tab_agencies:
    agency_addresses_tab(store, user.id, agencies)
