"""IT office: security incidents (資安事件, 8.3) — acknowledge, accept a late report with a reason, close.

The vendor reports and adds its measures (``vendor_incidents``); here the IT office sees every vendor's
incidents, open ones first, and takes them to their end with the final report (結案報告).
"""

from datetime import timedelta

import pandas as pd
import streamlit as st

from app_pages._common import attempt, get_store, plain, require_role, roc, show_wrapped
from app_pages._widgets import choose_record, done, form_key, show_flash
from tracker.compliance.loader import default_catalogue
from tracker.documents.labels import incident_state
from tracker.domain.vendors import Contract, Incident, Vendor
from tracker.services.incidents import acknowledge, close_incident, is_late, resolve_late_report

user = require_role("it_office")
store = get_store()
st.title("資安事件處理")
show_flash()
hours = default_catalogue().get("8.3").timing.hours
vendors = {v.id: v.name for v in store.all(Vendor)}
contracts = {c.id: c.title for c in store.all(Contract)}
incidents = sorted(store.all(Incident), key=lambda i: (i.closed, -i.known_at.timestamp()))


def lateness(incident: Incident) -> str:
    if not is_late(incident, hours):
        return ""
    return "逾時通報（已處理）" if incident.late_reason else f"逾時通報（逾 {hours} 小時）"


show_wrapped(
    pd.DataFrame(
        {
            "狀態": [incident_state(i) for i in incidents],
            "廠商": [vendors.get(i.vendor_id, "") for i in incidents],
            "摘要": [i.summary for i in incidents],
            "知悉時間": [roc(i.known_at) for i in incidents],
            "通報時間": [roc(i.reported_at) for i in incidents],
            "通報時限": [lateness(i) for i in incidents],
            "委託案": [contracts.get(i.contract_id or "", "") for i in incidents],
        }
    ),
    column_config={"摘要": st.column_config.TextColumn(width="large")},
)
if not incidents:
    st.stop()

picked = choose_record(
    "事件",
    {
        i.id: f"{vendors.get(i.vendor_id, '')}｜{i.summary}（{incident_state(i)}）"
        for i in incidents
    },
    key="incident_pick",
    default=incidents[0].id,
)
incident = next((i for i in incidents if i.id == picked), None)
if incident is None:
    st.info("請選擇事件。")
    st.stop()

deadline = incident.known_at + timedelta(hours=hours)
st.markdown(
    f"**{plain(incident.summary)}**　{plain(vendors.get(incident.vendor_id, ''))}　"
    f"知悉 {roc(incident.known_at)}，通報 {roc(incident.reported_at)}（時限 {roc(deadline)}）"
)
st.markdown("**因應措施**")
st.text(incident.measures or "（廠商尚未填寫）")
if incident.late_reason:
    st.info(f"逾時通報之處理理由：{plain(incident.late_reason)}")
if incident.closed:
    st.success(f"已於 {roc(incident.closed_at)} 由 {plain(incident.closed_by)} 結案。")
    st.markdown("**結案報告**")
    st.text(incident.final_report)
    st.stop()

left, right = st.columns(2)
with left:
    if incident.acknowledged_at is None:
        if st.button("確認收到通報", type="primary", key="acknowledge"):
            with attempt():
                changed = acknowledge(store, user.id, incident.id)
                done(f"已確認收到「{changed.summary}」之通報（{roc(changed.acknowledged_at)}）")
    else:
        st.caption(f"已於 {roc(incident.acknowledged_at)} 由 {incident.acknowledged_by} 確認。")
    if is_late(incident, hours) and not incident.late_reason:
        with st.form(form_key(f"late-{incident.id}")):
            st.markdown(f"**逾時通報之處理**（知悉後逾 {hours} 小時才通報）")
            reason = st.text_area("處理理由（必填，例如已查明延遲原因並要求改善）", max_chars=1000)
            if st.form_submit_button("登錄處理理由"):
                with attempt():
                    changed = resolve_late_report(store, user.id, incident.id, reason)
                    done(
                        f"已登錄「{changed.summary}」逾時通報之處理理由",
                        clear=f"late-{incident.id}",
                    )
with right, st.form(form_key(f"close-{incident.id}")):
    st.markdown("**結案**")
    report = st.text_area("結案報告（事件經過、影響範圍、改善措施）", max_chars=4000)
    if st.form_submit_button("結案", type="primary"):
        with attempt():
            changed = close_incident(store, user.id, incident.id, report)
            done(
                f"已結案「{changed.summary}」（{roc(changed.closed_at)}）",
                clear=f"close-{incident.id}",
            )
