"""IT office: the review queue — submitted evidence with its inspection beside a preview; approve or reject."""

import pandas as pd
import streamlit as st

from app_pages._common import english, get_store, plain, require_role, roc, show_error, show_table
from app_pages._evidence import (
    download_button,
    kind_label,
    show_inspection,
    show_preview,
    show_record,
)
from tracker.core.errors import TrackerError
from tracker.documents.labels import SUBJECT, VERDICT
from tracker.domain.subjects import subject_label as label_of
from tracker.domain.vendors import Vendor
from tracker.services.dashboard import obligation_label
from tracker.services.evidence import review_evidence, review_queue, subject_owner

user = require_role("it_office")
store = get_store()
st.title("佐證審查")
english("Review queue: submitted evidence, oldest first")

done = st.session_state.pop("review_done", None)
if done:
    st.success(done)

vendors = {v.id: v.name for v in store.all(Vendor)}
queue = review_queue(store)


def subject_label(evidence) -> str:
    try:
        record = subject_owner(store, evidence.subject_kind, evidence.subject_id)[0]
    except TrackerError:
        return evidence.subject_id
    return label_of(record)


labels = {
    e.id: f"{vendors.get(e.vendor_id, '機關')}｜{kind_label(e.kind)}｜{subject_label(e)}"
    for e in queue
}
show_table(
    pd.DataFrame(
        {
            "上傳時間": [roc(e.uploaded_at) for e in queue],
            "廠商": [vendors.get(e.vendor_id, "") for e in queue],
            "應辦事項": [obligation_label(e.obligation_id) for e in queue],
            "適用對象": [f"{SUBJECT[e.subject_kind]} {subject_label(e)}" for e in queue],
            "佐證種類": [kind_label(e.kind) for e in queue],
            "自動檢核": [VERDICT.get(e.inspection.get("verdict"), "") for e in queue],
            "注意": ["⚠" if e.flags else "" for e in queue],
        }
    )
)
if not queue:
    st.stop()

picked = st.selectbox("審查項目", list(labels), format_func=labels.get)
evidence = next(e for e in queue if e.id == picked)
left, right = st.columns([3, 2])
with left:
    st.subheader("檔案預覽")
    show_preview(evidence)
    download_button(evidence, key=f"download-{evidence.id}")
with right:
    st.subheader("自動檢核")
    show_inspection(evidence.inspection)
    with st.expander("佐證資料明細"):
        show_record(evidence)
    st.subheader("審查決定")
    reason = st.text_area("理由（退件時必填）", key=f"reason-{evidence.id}", max_chars=1000)
    approve_col, reject_col = st.columns(2)
    approve = approve_col.button("核准", type="primary", key="approve", icon=":material/check:")
    reject = reject_col.button("退件", key="reject", icon=":material/close:")
    if approve or reject:
        try:
            decided = review_evidence(
                store, user.id, user.role, evidence.id, approve=approve, reason=reason
            )
        except TrackerError as exc:
            show_error(exc)
        else:
            verb = "核准" if approve else "退件"
            st.session_state["review_done"] = f"已{verb}：{plain(labels[decided.id])}"
            st.rerun()
