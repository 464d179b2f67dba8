"""Entry point of the web app: the compliance status table from the store."""

import pandas as pd
import streamlit as st

from tracker.config import Settings
from tracker.labels import STATUS, SUBJECT
from tracker.services.compliance import compliance_report
from tracker.store import Store

st.set_page_config(page_title="移民資訊應用合規追蹤", page_icon="🛂", layout="wide")


@st.cache_resource
def get_store() -> Store:
    return Store.open(Settings.from_env())


report = compliance_report(get_store())
st.title("移民資訊應用管理要點 合規追蹤")
overall = report.overall.percent
st.metric("整體合規率", f"{overall}%" if overall is not None else "—")
rows = [r for r in report.rows if r.status.value != "not_applicable"]
st.dataframe(
    pd.DataFrame(
        {
            "項次": [r.obligation_id for r in rows],
            "適用對象": [SUBJECT[r.subject_kind] for r in rows],
            "名稱": [r.subject_label for r in rows],
            "狀態": [STATUS[r.status] for r in rows],
            "期限": [r.due.isoformat() if r.due else "" for r in rows],
            "說明": [r.reason_zh for r in rows],
        }
    ),
    hide_index=True,
    use_container_width=True,
)
