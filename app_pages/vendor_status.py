"""Vendor portal: the vendor's contracts with each obligation's status, and evidence upload.

Everything here is read with ``vendor_id=user.vendor_id``: the report, the
contracts (the vendor's own partition) and the upload's ``vendor_scope``.
"""

import streamlit as st

from app_pages._common import (
    get_blobs,
    get_store,
    plain,
    require_role,
    roc,
    show_error,
    show_wrapped,
    status_frame,
    vendor_contracts,
    work_first,
)
from app_pages._dates import date_text, read_date
from app_pages._evidence import kind_label, show_inspection
from app_pages._widgets import choose_record, clear_form, field_key, form_key
from tracker.compliance.attention import attention_points
from tracker.compliance.loader import default_catalogue
from tracker.core import clock
from tracker.core.errors import TrackerError
from tracker.documents.labels import STATUS, SUBJECT
from tracker.domain.enums import Status
from tracker.domain.evidence import Evidence
from tracker.domain.vendors import Agency, Vendor
from tracker.services.compliance import compliance_report
from tracker.services.dashboard import obligation_label, percent_text
from tracker.services.evidence import upload_evidence

user = require_role("vendor")
store = get_store()
catalogue = default_catalogue()
vendor = store.require(Vendor, user.vendor_id)
st.title("合規狀態與上傳")
st.caption(plain(vendor.name))
# The upload tab is filled first, so the status tab already shows an upload made in this run.
overview, upload = st.tabs(["合規狀態", "上傳佐證資料"])


def uploadable(rows) -> dict:
    """Rows that take evidence, keyed by a stable string, the ones needing work first."""
    rows = [
        r
        for r in rows
        if r.status != Status.NOT_APPLICABLE and catalogue.get(r.obligation_id).evidence
    ]
    rows.sort(key=work_first)
    return {f"{r.obligation_id}|{r.subject_kind.value}|{r.subject_id}": r for r in rows}


def item_label(row) -> str:
    due = f"，期限 {roc(row.due)}" if row.due else ""
    return f"[{STATUS[row.status]}] {obligation_label(row.obligation_id)} — {SUBJECT[row.subject_kind]} {row.subject_label}{due}"


def upload_form(row, kind: str) -> None:
    """The file picker for one item; the inspection's result is shown at once."""
    limit = store.settings.max_upload_bytes // 2**20
    target = f"{SUBJECT[row.subject_kind]} {row.subject_label} 之{kind_label(kind)}"
    st.info(
        f"將上傳為：{target}（{obligation_label(row.obligation_id)}）　·　僅接受 PDF，上限 {limit} MB"
    )
    with st.form(form_key("upload")):
        file = st.file_uploader("選擇 PDF 檔", type=["pdf"], key=field_key("upload", "file"))
        effective = date_text("文件日期（簽署或檢測日期）", clock.today())
        submitted = st.form_submit_button("上傳並自動檢核", type="primary")
    if submitted and file is None:
        st.warning("請先選擇檔案。")
    elif submitted:
        try:
            day = read_date(effective, "文件日期")
        except TrackerError as exc:
            show_error(exc)
            return
        with st.status("自動檢核中…", expanded=True) as progress:
            try:
                evidence = upload_evidence(
                    store,
                    get_blobs(),
                    user.id,
                    kind=kind,
                    data=file.getvalue(),
                    filename=file.name,
                    obligation_id=row.obligation_id,
                    subject_kind=row.subject_kind,
                    subject_id=row.subject_id,
                    effective=day,
                    vendor_scope=user.vendor_id,
                    trust_dir=store.settings.trust_dir,
                    max_bytes=store.settings.max_upload_bytes,
                )
            except TrackerError as exc:
                progress.update(label="檔案無法受理", state="error", expanded=True)
                show_error(exc)
                return
        # Redraw at once: the picker starts empty (no second upload of the same file) and every
        # status shows the upload; the result is shown above the chooser by show_last_upload.
        st.session_state[LAST_UPLOAD] = (evidence.id, target)
        clear_form("upload")
        st.rerun()


LAST_UPLOAD = "vendor_last_upload"


def show_last_upload() -> None:
    """The upload just made and its inspection, once."""
    last = st.session_state.pop(LAST_UPLOAD, None)
    evidence = store.get(Evidence, last[0]) if last else None
    if evidence is None or evidence.vendor_id != user.vendor_id:
        return
    st.success(f"已上傳 {plain(last[1])}（{roc(evidence.effective)}），待資訊室審查")
    show_inspection(evidence.inspection, attention_points(evidence))


with upload:
    show_last_upload()
    items = uploadable(compliance_report(store, vendor_id=user.vendor_id).rows)
    if not items:
        st.info("目前沒有需要上傳佐證的項目。")
    else:
        key = choose_record(
            "要上傳佐證的項目", {k: item_label(r) for k, r in items.items()}, key="upload_item"
        )
        if key is None:
            st.info("請先選擇要上傳佐證的項目。")
        else:
            kinds = catalogue.get(items[key].obligation_id).evidence
            kind = (
                st.selectbox("佐證種類", kinds, format_func=kind_label, key=f"upload_kind-{key}")
                if len(kinds) > 1
                else kinds[0]
            )
            upload_form(items[key], kind)

with overview:
    report = compliance_report(store, vendor_id=user.vendor_id)
    mine = report.by_vendor.get(user.vendor_id)
    applicable = [r for r in report.rows if r.status != Status.NOT_APPLICABLE]
    cols = st.columns(4)
    cols[0].metric("合規率", percent_text(mine))
    cols[1].metric("符合項目", sum(r.ok for r in applicable))
    cols[2].metric("待辦項目", sum(not r.ok for r in applicable))
    cols[3].metric(
        "逾期或已過期",
        sum(r.status in (Status.OVERDUE, Status.EXPIRED) for r in applicable),
        help="期限已過而未完成，或佐證已過有效期限",
    )
    for contract in vendor_contracts(store, user.vendor_id):
        agency = store.get(Agency, contract.agency_id)
        rows = [r for r in report.rows if r.contract_id == contract.id]
        title = plain(
            f"{contract.title}（{agency.name if agency else ''}，"
            f"{roc(contract.start)}–{roc(contract.end)}）"
        )
        with st.expander(title, expanded=True):
            show_wrapped(status_frame(rows, subject=False), "狀態")
    other = [r for r in report.rows if r.contract_id is None]
    if [r for r in other if r.status != Status.NOT_APPLICABLE]:
        with st.expander("其他項目", expanded=True):
            show_wrapped(status_frame(other, subject=False), "狀態")
