"""Vendor portal: dedicated PCs (專用電腦, 8.11) — register a PC and attest it is offline, exclusive and licensed."""

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
from tracker.domain.vendors import Contract, DedicatedPC
from tracker.services.vendors import register_pc

user = require_role("vendor")
store = get_store()
st.title("專用電腦")
english("Dedicated PCs (8.11): offline, not shared with other projects, licensed software only")
contracts = {c.id: c for c in vendor_contracts(store, user.vendor_id)}
pcs = sorted(store.all(DedicatedPC, vendor=user.vendor_id), key=lambda p: p.asset_tag)


def yes_no(flag: bool) -> str:
    return "✔ 是" if flag else "✘ 否"


show_table(
    pd.DataFrame(
        {
            "財產編號": [p.asset_tag for p in pcs],
            "委託案": [
                contracts[p.contract_id].title if p.contract_id in contracts else "" for p in pcs
            ],
            "放置地點": [p.location for p in pcs],
            "未連接網際網路": [yes_no(p.offline) for p in pcs],
            "專案專用": [yes_no(p.exclusive) for p in pcs],
            "軟體皆合法授權": [yes_no(p.licensed_software_only) for p in pcs],
            "最近檢查日": [roc(p.last_inspected) for p in pcs],
        }
    )
)

st.subheader("登錄或更新專用電腦")
choices = {"": None, **{p.id: p for p in pcs}}
picked = st.selectbox(
    "電腦", list(choices), format_func=lambda k: choices[k].asset_tag if k else "（新增一台）"
)
current = choices[picked]
with st.form("pc"):
    contract_ids = list(contracts)
    index = (
        contract_ids.index(current.contract_id)
        if current and current.contract_id in contracts
        else 0
    )
    contract_id = st.selectbox(
        "委託案", contract_ids, index=index, format_func=lambda c: contracts[c].title
    )
    asset_tag = st.text_input("財產編號", value=current.asset_tag if current else "")
    location = st.text_input("放置地點", value=current.location if current else "")
    st.markdown("**廠商聲明（8.11）**")
    offline = st.checkbox("此電腦未連接網際網路", value=bool(current and current.offline))
    exclusive = st.checkbox(
        "此電腦僅供本委託案使用，不與其他專案共用", value=bool(current and current.exclusive)
    )
    licensed = st.checkbox(
        "未安裝未經合法授權之軟體", value=bool(current and current.licensed_software_only)
    )
    inspected = st.date_input(
        "最近檢查日",
        value=(current.last_inspected if current else None) or clock.today(),
        max_value=clock.today(),
    )
    if st.form_submit_button("儲存", type="primary") and contract_id:
        with attempt():
            own_record(store, Contract, contract_id, user)
            if current is not None:
                own_record(store, DedicatedPC, current.id, user)
            pc = register_pc(
                store,
                user.id,
                contract_id=contract_id,
                asset_tag=asset_tag,
                location=location,
                offline=offline,
                exclusive=exclusive,
                licensed_software_only=licensed,
                last_inspected=inspected,
                pc_id=current.id if current else None,
            )
            st.success(f"已儲存 {plain(pc.asset_tag)}；請至「合規狀態與上傳」上傳專用電腦檢核表。")
