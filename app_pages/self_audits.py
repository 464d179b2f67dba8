"""自主稽核: the self-audit of query logs, from the import to the kept audit record (points 7.2–7.5).

The account manager imports an NIA export, opens an audit for a period (the
population and the sample size by the rule are shown first), adds risk picks,
records a finding per sampled record, records the case a violation opens and
closes the audit, which stores the audit record (PDF and XLSX) as evidence.
A manager (主管) sees the tables only.  Subject IDs are masked everywhere.

The tables are in :mod:`app_pages._audits_ui`, the forms in
:mod:`app_pages._audits_forms`; this script lays out the screen.
"""

import streamlit as st

from app_pages import _audits_forms as forms
from app_pages import _audits_ui as ui
from app_pages._common import (
    READ_ONLY_NOTE,
    agencies_or_stop,
    get_blobs,
    get_store,
    require_role,
    show_table,
)
from app_pages._widgets import choose_record, show_flash
from tracker.compliance.loader import default_catalogue
from tracker.core import clock
from tracker.services import audit_sampling, audits, log_imports

user = require_role("account_admin", "manager")
editable = user.role == "account_admin"
store, blobs = get_store(), get_blobs()
logs = log_imports.log_store(store.settings)
catalogue = default_catalogue()
ratio, floor = catalogue.sampling_rule()
today = clock.today()

st.title("自主稽核")
if not editable:
    st.caption(READ_ONLY_NOTE)
show_flash()
agencies = agencies_or_stop(store)

ui.yearly_status(store, agencies, today)

agency_id = choose_record(
    "機關",
    {a: agencies[a].name for a in agencies},
    key="audits_agency",
    default=next(iter(agencies)),
)
if agency_id is None:
    st.info("請選擇機關。")
    st.stop()
agency = agencies[agency_id]
tab_work, tab_import, tab_open = st.tabs(["稽核作業", "匯入查詢紀錄", "開啟稽核"])

with tab_import:
    if editable:
        forms.import_form(store, logs, blobs, user.id, agency_id)
    ui.imports_table(store, agency_id)

with tab_open:
    ui.sampling_rule(ratio, floor, catalogue)
    if editable:
        forms.open_form(store, logs, user.id, agency, today, ratio, floor)
    else:
        st.info("僅機關帳號管理者可開啟稽核。")

with tab_work:
    listed = {a.id: a for a in reversed(audits.list_audits(store, agency_id))}
    if not listed:
        st.info("此機關尚未開啟自主稽核。")
    else:
        picked = choose_record(
            "稽核",
            {a: ui.audit_label(listed[a]) for a in listed},
            key=f"audit_pick-{agency_id}",
            default=next(iter(listed)),
        )
        if picked is None:
            st.info("請選擇稽核。")
            st.stop()
        audit = listed[picked]
        records = audit_sampling.sampled_records(store, audit.id)
        ui.audit_summary(audit, records, catalogue)
        is_open = audit.closed_on is None
        if editable and is_open:
            forms.risk_form(store, logs, user.id, audit)
            forms.findings_editor(store, user.id, audit, records)
        else:
            show_table(ui.records_frame(records))
        if audit.violations:
            ui.violation_alert(audit, records)
            if editable:
                forms.case_form(store, user.id, audit, today)
            else:
                ui.case_table(audit)
        if editable and is_open:
            forms.close_section(store, blobs, user.id, audit)
        if editable and not is_open:
            ui.downloads(store, blobs, audit, agency)
            forms.reopen_form(store, user.id, audit)
