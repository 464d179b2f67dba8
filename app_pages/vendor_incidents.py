"""Vendor portal: report a security incident at once (資安事件, 8.3), with the time it became known."""

from datetime import datetime

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
from app_pages._mail import send_notice_now
from app_pages._widgets import choose_record, done, form_key, show_flash
from tracker.core import clock
from tracker.documents.labels import incident_state
from tracker.domain.vendors import Contract, Incident
from tracker.services.incidents import add_measures, report_incident

user = require_role("vendor")
store = get_store()
st.title("資安事件通報")
show_flash()
contracts = {c.id: c for c in vendor_contracts(store, user.vendor_id)}
incidents = sorted(
    store.all(Incident, vendor=user.vendor_id), key=lambda i: i.known_at, reverse=True
)

st.warning("知悉資通安全事件或違反資安法令時，應立即通報本局並說明因應措施。")
ANY = "__any__"
with st.form(form_key("incident")):
    contract_id = choose_record(
        "相關委託案",
        {ANY: "（不限）", **{c: contracts[c].title for c in contracts}},
        key="incident_contract",
        default=ANY,
    )
    summary = st.text_area("事件摘要", max_chars=500)
    now = clock.now()
    left, right = st.columns(2)
    known_day = date_text("知悉日期", now.date(), container=left)
    known_time = right.time_input(
        "知悉時間", value=now.time().replace(second=0, microsecond=0), step=300
    )
    measures = st.text_area("已採取之因應措施", max_chars=2000)
    if st.form_submit_button("立即通報", type="primary"):
        with attempt():
            contract_id = None if contract_id in (None, ANY) else contract_id
            if contract_id:
                own_record(store, Contract, contract_id, user)
            day = read_date(known_day, "知悉日期")
            known_at = datetime.combine(day, known_time, clock.TAIPEI)
            incident = report_incident(
                store,
                user.id,
                vendor_id=user.vendor_id,
                summary=summary,
                known_at=known_at,
                contract_id=contract_id,
                measures=measures,
            )
            notice = send_notice_now(store, f"incident:{incident.id}", user.id, detail=False)
            done(
                f"已通報「{incident.summary}」（知悉 {roc(incident.known_at)}，通報 {roc(incident.reported_at)}）；"
                f"請至「合規狀態與上傳」上傳資安事件通報單。{notice}",
                clear="incident",
            )

st.subheader("已通報事件")
show_wrapped(
    pd.DataFrame(
        {
            "摘要": [i.summary for i in incidents],
            "委託案": [
                contracts[i.contract_id].title if i.contract_id in contracts else ""
                for i in incidents
            ],
            "知悉時間": [roc(i.known_at) for i in incidents],
            "通報時間": [roc(i.reported_at) for i in incidents],
            "狀態": [incident_state(i) for i in incidents],
            "因應措施": [i.measures for i in incidents],
            "結案報告": [i.final_report for i in incidents],
        }
    ),
    column_config={
        "因應措施": st.column_config.TextColumn(width="large"),
        "摘要": st.column_config.TextColumn(width="medium"),
    },
)

open_ones = {i.id: f"{i.summary}（知悉 {roc(i.known_at)}）" for i in incidents if not i.closed}
if open_ones:
    st.subheader("補充因應措施")
    with st.form(form_key("measures")):
        picked = choose_record("事件", open_ones, key="measures_incident")
        text = st.text_area("補充之因應措施（將加註時間後附於原因應措施之後）", max_chars=2000)
        if st.form_submit_button("補充"):
            if picked is None:
                st.warning("請先選擇事件。")
            else:
                with attempt():
                    changed = add_measures(store, user.id, picked, text, vendor_id=user.vendor_id)
                    done(
                        f"已補充「{changed.summary}」之因應措施（{roc(clock.now())}）",
                        clear="measures",
                    )
