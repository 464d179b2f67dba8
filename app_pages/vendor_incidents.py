"""Vendor portal: report a security incident at once (資安事件, 8.3), with the time it became known."""

from datetime import datetime

import pandas as pd
import streamlit as st

from app_pages._common import (
    attempt,
    english,
    get_store,
    own_record,
    require_role,
    roc,
    show_table,
    vendor_contracts,
)
from app_pages._mail import send_notice_now, show_notice_outcome
from tracker.core import clock
from tracker.domain.vendors import Contract, Incident
from tracker.services.vendors import report_incident

user = require_role("vendor")
store = get_store()
st.title("資安事件通報")
english("Security incidents (8.3): report at once, with the time the vendor became aware")
contracts = {c.id: c for c in vendor_contracts(store, user.vendor_id)}
incidents = sorted(
    store.all(Incident, vendor=user.vendor_id), key=lambda i: i.known_at, reverse=True
)

st.warning("知悉資通安全事件或違反資安法令時，應立即通報本局並說明因應措施。")
with st.form("incident", clear_on_submit=True):
    options = ["", *contracts]
    contract_id = st.selectbox(
        "相關委託案", options, format_func=lambda c: contracts[c].title if c else "（不限）"
    )
    summary = st.text_area("事件摘要", max_chars=500)
    now = clock.now()
    left, right = st.columns(2)
    known_day = left.date_input("知悉日期", value=now.date(), max_value=now.date())
    known_time = right.time_input(
        "知悉時間", value=now.time().replace(second=0, microsecond=0), step=300
    )
    measures = st.text_area("已採取之因應措施", max_chars=2000)
    if st.form_submit_button("立即通報", type="primary"):
        with attempt():
            if contract_id:
                own_record(store, Contract, contract_id, user)
            known_at = datetime.combine(known_day, known_time, clock.TAIPEI)
            incident = report_incident(
                store,
                user.id,
                vendor_id=user.vendor_id,
                summary=summary,
                known_at=known_at,
                contract_id=contract_id or None,
                measures=measures,
            )
            st.success(
                f"已通報（{roc(incident.reported_at)}）；請至「合規狀態與上傳」上傳資安事件通報單。"
            )
            notice = send_notice_now(store, f"incident:{incident.id}", user.id, detail=False)
            show_notice_outcome(notice)
            incidents.insert(0, incident)

st.subheader("已通報事件")
show_table(
    pd.DataFrame(
        {
            "摘要": [i.summary for i in incidents],
            "委託案": [
                contracts[i.contract_id].title if i.contract_id in contracts else ""
                for i in incidents
            ],
            "知悉時間": [roc(i.known_at) for i in incidents],
            "通報時間": [roc(i.reported_at) for i in incidents],
            "因應措施": [i.measures for i in incidents],
            "狀態": ["已結案" if i.closed else "處理中" for i in incidents],
        }
    )
)
