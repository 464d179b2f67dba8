"""Vendor portal: dedicated PCs (專用電腦, 8.11) — register a PC and attest it is offline, exclusive and licensed."""

import pandas as pd
import streamlit as st

from app_pages._common import (
    attempt,
    get_store,
    own_record,
    require_role,
    roc,
    show_wrapped,
    vendor_contracts,
)
from app_pages._dates import date_text, read_date
from app_pages._widgets import choose_record, done, set_choice, show_flash
from tracker.core import clock
from tracker.domain.vendors import Contract, DedicatedPC
from tracker.services.vendors import register_pc

user = require_role("vendor")
store = get_store()
st.title("專用電腦")
show_flash()
contracts = {c.id: c for c in vendor_contracts(store, user.vendor_id)}
pcs = sorted(store.all(DedicatedPC, vendor=user.vendor_id), key=lambda p: p.asset_tag)


def yes_no(flag: bool) -> str:
    return "✔ 是" if flag else "✘ 否"


show_wrapped(
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
NEW = "__new__"
by_id = {p.id: p for p in pcs}
picked = choose_record(
    "電腦",
    {NEW: "（新增一台）", **{p.id: p.asset_tag for p in pcs}},
    key="pc_pick",
    default=NEW,
)
current = by_id.get(picked)
with st.form(f"pc-{picked or NEW}"):
    contract_id = choose_record(
        "委託案",
        {c: contracts[c].title for c in contracts},
        key=f"pc_contract-{picked}",
        default=current.contract_id if current else next(iter(contracts), None),
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
    inspected = date_text(
        "最近檢查日", (current.last_inspected if current else None) or clock.today()
    )
    submitted = st.form_submit_button("儲存", type="primary")
    if submitted and contract_id is None:
        st.warning("請先選擇委託案。")
    elif submitted:
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
                last_inspected=read_date(inspected, "最近檢查日"),
                pc_id=current.id if current else None,
            )
            set_choice("pc_pick", pc.id)
            verb = "更新" if current else "登錄"
            done(
                f"已{verb}專用電腦 {pc.asset_tag}（{pc.location}，最近檢查日 {roc(pc.last_inspected)}）；"
                "請至「合規狀態與上傳」上傳專用電腦檢核表。"
            )
