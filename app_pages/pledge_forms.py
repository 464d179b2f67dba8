"""IT office: pre-filled 專案作業人員保密切結書 (8.6, 8.8; the form is set by the IT office, point 十).

Each form gets a fresh number (``PLG-<ROC year>-<hex>``) recorded as issued for
one staff member, so the signed copy uploaded later is matched back to them.
"""

from datetime import datetime

import pandas as pd
import streamlit as st

from app_pages._common import english, get_store, plain, require_role, roc, show_table
from tracker.core import clock
from tracker.documents.labels import STATUS
from tracker.documents.pledge import new_form_number, render_pledge_form
from tracker.domain.enums import Status
from tracker.domain.evidence import IssuedForm
from tracker.domain.vendors import Agency, Contract, Vendor, VendorStaff
from tracker.services.compliance import compliance_report
from tracker.services.evidence import issue_form

user = require_role("it_office")
store = get_store()
st.title("保密切結書")
english("Pre-filled staff pledge forms with a unique form number")

vendors = {v.id: v for v in sorted(store.all(Vendor), key=lambda v: v.name)}
vendor_id = st.selectbox("廠商", list(vendors), format_func=lambda k: vendors[k].name)
staff = {s.id: s for s in store.all(VendorStaff, vendor=vendor_id) if s.end is None}
pledge = {
    r.subject_id: r.status
    for r in compliance_report(store, vendor_id=vendor_id).rows
    if r.obligation_id == "8.8"
}


def staff_label(staff_id: str) -> str:
    person = staff[staff_id]
    status = pledge.get(staff_id)
    shown = STATUS[status] if status and status != Status.NOT_APPLICABLE else "—"
    return f"{person.name}（{person.id_masked}）切結書：{shown}"


def issued_when(form: IssuedForm) -> str:
    try:
        return roc(datetime.fromisoformat(str(form.issued_at)))
    except ValueError:
        return ""


if not staff:
    st.info("此廠商目前沒有在職的專案作業人員。")
    st.stop()
needing_first = sorted(staff, key=lambda s: pledge.get(s) in (Status.COMPLIANT, Status.DUE_SOON))
staff_id = st.selectbox("專案作業人員", needing_first, format_func=staff_label)
if st.button("產生切結書", type="primary", icon=":material/description:"):
    person = staff[staff_id]
    contract = store.require(Contract, person.contract_id)
    agency = store.get(Agency, contract.agency_id)
    number = new_form_number(clock.today())
    data = render_pledge_form(
        form_number=number,
        staff_name=person.name,
        vendor_name=vendors[vendor_id].name,
        contract_title=contract.title,
        agency_name=agency.name if agency else "臺北市政府社會局",
        issued_on=clock.today(),
    )
    issue_form(store, user.id, person.id, number)
    st.session_state["pledge_pdf"] = (number, person.id, data)

issued = st.session_state.get("pledge_pdf")
if issued and issued[1] in staff:
    number, person_id, data = issued
    st.success(f"已產生表單 {number}（{plain(staff[person_id].name)}）")
    st.download_button(
        "下載切結書 PDF",
        data,
        file_name=f"{number}.pdf",
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
