"""Manager and IT office: the auditor's package for a period (issue 7, point 7.1).

A ZIP an inspector of the NIA or the ethics unit can check with ``sha256sum -c``
alone: the audit records, the evidence files with their review decisions and
the activity-log extract with its chain.  Building it is logged.
"""

from datetime import date

import streamlit as st

from app_pages._common import attempt, english, get_blobs, get_store, require_role
from tracker.core import clock
from tracker.domain.vendors import Agency, Vendor
from tracker.ops.package_selection import Period
from tracker.services.packages import create_package, package_file_name

user = require_role("manager", "it_office")
store = get_store()
st.title("稽核資料包")
english(
    "Auditor's package: evidence, review decisions, audit records and the activity-log extract, with SHA256SUMS"
)

today = clock.today()
agencies = {a.id: a.name for a in store.all(Agency)}
vendors = {v.id: v.name for v in store.all(Vendor)}
with st.form("package"):
    left, right = st.columns(2)
    start = left.date_input("期間起日", value=date(today.year, 1, 1), max_value=today)
    end = right.date_input("期間迄日", value=today, max_value=today)
    scope = st.radio("範圍", ["全部", "單一機關", "單一廠商"], horizontal=True)
    agency_id = st.selectbox("機關", list(agencies), format_func=agencies.get) if agencies else None
    vendor_id = st.selectbox("廠商", list(vendors), format_func=vendors.get) if vendors else None
    submitted = st.form_submit_button("產製資料包", type="primary")

if submitted:
    with attempt(), st.spinner("正在彙整佐證檔案與操作日誌…"):
        period = Period(start, end)
        agency = agency_id if scope == "單一機關" else None
        vendor = vendor_id if scope == "單一廠商" else None
        data, _ = create_package(
            store, get_blobs(), user.id, period, agency_id=agency, vendor_id=vendor
        )
        name = package_file_name(period)
        st.session_state["audit_package_zip"] = (name, data)
        st.toast("資料包已產製", icon=":material/check_circle:")

if "audit_package_zip" in st.session_state:
    name, data = st.session_state["audit_package_zip"]
    st.download_button(
        f"下載 {name}（{len(data) / 1024 / 1024:.1f} MB）",
        data,
        file_name=name,
        mime="application/zip",
        type="primary",
    )
    st.caption(
        "解壓縮後執行 `sha256sum -c SHA256SUMS` 即可驗證每個檔案；說明見資料包內的 README.txt。"
    )
st.caption(
    f"期間迄日最晚為今天（{today:%Y-%m-%d}）；操作日誌摘錄不依機關或廠商篩選，以保持雜湊鏈完整。"
)
