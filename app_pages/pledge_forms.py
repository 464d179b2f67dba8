"""IT office: pre-filled 專案作業人員保密切結書 (8.6, 8.8; the form is set by the IT office, point 十).

Each form gets a fresh number (``PLG-<ROC year>-<hex>``) recorded as issued for
one staff member, so the signed copy uploaded later is matched back to them.
"""

from datetime import datetime

import pandas as pd
import streamlit as st

from app_pages._common import attempt, get_store, plain, require_role, roc, show_table
from app_pages._widgets import choose_record
from tracker.core import clock
from tracker.documents.labels import STATUS
from tracker.domain.enums import Status
from tracker.domain.evidence import IssuedForm
from tracker.domain.vendors import Vendor, VendorStaff
from tracker.services.compliance import compliance_report
from tracker.services.pledges import pledge_file_name, prepare_pledge

user = require_role("it_office")
store = get_store()
st.title("保密切結書")

vendors = {v.id: v for v in sorted(store.all(Vendor), key=lambda v: v.name)}
vendor_id = choose_record(
    "廠商",
    {k: v.name for k, v in vendors.items()},
    key="pledge_vendor",
    default=next(iter(vendors), None),
)
if vendor_id is None:
    st.info("請選擇廠商。")
    st.stop()
staff = {s.id: s for s in store.all(VendorStaff, vendor=vendor_id) if s.end is None}
pledge = {
    r.subject_id: r
    for r in compliance_report(store, vendor_id=vendor_id).rows
    if r.obligation_id == "8.8"
}


def staff_label(staff_id: str) -> str:
    person = staff[staff_id]
    row = pledge.get(staff_id)
    if row is None or row.status == Status.NOT_APPLICABLE:
        return f"{person.name}（{person.id_masked}）切結書：—"
    due = f"（期限 {roc(row.due)}）" if row.due and not row.ok else ""
    return f"{person.name}（{person.id_masked}）切結書：{STATUS[row.status]}{due}"


def issued_when(form: IssuedForm) -> str:
    try:
        return roc(datetime.fromisoformat(str(form.issued_at)))
    except ValueError:
        return ""


if not staff:
    st.info("此廠商目前沒有在職的專案作業人員。")
    st.stop()
needing_first = sorted(staff, key=lambda s: bool(pledge.get(s) and pledge[s].ok))
staff_id = choose_record(
    "專案作業人員",
    {s: staff_label(s) for s in needing_first},
    key=f"pledge_staff-{vendor_id}",
    default=needing_first[0],
)
if st.button(
    "產生切結書", type="primary", icon=":material/description:", disabled=staff_id is None
):
    with attempt():
        number, data = prepare_pledge(store, user.id, staff_id)
        st.session_state["pledge_pdf"] = (number, staff_id, data)

issued = st.session_state.get("pledge_pdf")
if issued and issued[1] in staff:
    number, person_id, data = issued
    st.success(
        f"已產生 {plain(staff[person_id].name)} 之切結書，表單編號 {number}（{roc(clock.today())}）"
    )
    st.download_button(
        "下載切結書 PDF",
        data,
        file_name=pledge_file_name(staff[person_id], number),
        mime="application/pdf",
        icon=":material/download:",
    )

st.subheader("已發出之表單")
forms = sorted(
    store.all(IssuedForm, vendor=vendor_id), key=lambda f: str(f.issued_at), reverse=True
)
everyone = {s.id: s for s in store.all(VendorStaff, vendor=vendor_id)}
show_table(
    pd.DataFrame(
        {
            "表單編號": [f.id for f in forms],
            "人員": [
                everyone[f.staff_id].name if f.staff_id in everyone else f.staff_id for f in forms
            ],
            "發出者": [f.issued_by for f in forms],
            "發出時間": [issued_when(f) for f in forms],
        }
    )
)
