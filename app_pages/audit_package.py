"""Manager and IT office: the auditor's package for a period (issue 7, point 7.1).

A ZIP an inspector of the NIA or the ethics unit can check with ``sha256sum -c``
alone: the audit records, the evidence files with their review decisions and
the activity-log extract with its chain.  Building it is logged.
"""

from datetime import date

import streamlit as st

from app_pages._common import attempt, get_blobs, get_store, require_role
from app_pages._dates import date_text, read_date
from app_pages._widgets import choose_record
from tracker.core import clock
from tracker.core.errors import InvalidInput
from tracker.domain.vendors import Agency, Vendor
from tracker.ops.package_selection import Period
from tracker.services.packages import create_package, package_file_name

user = require_role("manager", "it_office")
store = get_store()
st.title("稽核資料包")

today = clock.today()
agencies = {a.id: a.name for a in store.all(Agency)}
vendors = {v.id: v.name for v in store.all(Vendor)}
with st.form("package"):
    left, right = st.columns(2)
    start = date_text("期間起日", date(today.year, 1, 1), container=left)
    end = date_text("期間迄日", today, container=right)
    scope = st.radio("範圍", ["全部", "單一機關", "單一廠商"], horizontal=True)
    agency_id = choose_record("機關（單一機關時）", agencies, key="package_agency")
    vendor_id = choose_record("廠商（單一廠商時）", vendors, key="package_vendor")
    submitted = st.form_submit_button("產製資料包", type="primary")

if submitted:
    with attempt(), st.spinner("正在彙整佐證檔案與操作日誌…"):
        period = Period(read_date(start, "期間起日"), read_date(end, "期間迄日"))
        agency = agency_id if scope == "單一機關" else None
        vendor = vendor_id if scope == "單一廠商" else None
        if (scope == "單一機關" and agency is None) or (scope == "單一廠商" and vendor is None):
            raise InvalidInput(f"請選擇{scope[2:]}", "choose the agency or vendor of the scope")
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
