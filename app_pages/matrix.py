"""IT office: the vendor × obligation matrix, and the items behind one cell."""

import streamlit as st

from app_pages._charts import heatmap, vendor_obligation_matrix
from app_pages._common import get_store, require_role, show_wrapped, status_frame
from app_pages._widgets import choose_record
from tracker.domain.vendors import Vendor
from tracker.services.compliance import compliance_report
from tracker.services.dashboard import obligation_label

require_role("it_office")
store = get_store()
st.title("廠商 × 應辦事項")
vendors = {v.id: v.name for v in store.all(Vendor)}
report = compliance_report(store)
frame = vendor_obligation_matrix(report.rows, vendors)
heatmap(frame)
st.caption("綠：100%　黃：80% 以上　橘：50% 以上　紅：未達 50%　灰：不適用")

st.subheader("細項")
left, right = st.columns(2)
ordered = sorted(vendors, key=vendors.get)
vendor_id = choose_record(
    "廠商",
    {v: vendors[v] for v in ordered},
    key="matrix_vendor",
    container=left,
    default=next(iter(ordered), None),
)
obligation_id = choose_record(
    "應辦事項",
    {o: obligation_label(o) for o in frame.columns},
    key="matrix_obligation",
    container=right,
    default=next(iter(frame.columns), None),
)
rows = [r for r in report.rows if r.vendor_id == vendor_id and r.obligation_id == obligation_id]
show_wrapped(status_frame(rows, subject=False), "狀態")
