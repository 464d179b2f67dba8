"""Dashboard (read-only): compliance overall and per vendor, contract, obligation and agency,
the heat-map, the lists that need attention, evidence behind a row, and the Excel/PDF exports.

The screen and both exports are built from one ``Dashboard`` of one report, so
their numbers are the same.
"""

from datetime import date, datetime

import pandas as pd
import streamlit as st

from app_pages._charts import heatmap, percent_bars, vendor_obligation_matrix
from app_pages._common import english, get_store, plain, require_role, roc, roc_long, show_table
from app_pages._evidence import download_button, show_record
from tracker.documents.labels import STATUS, table_rows, table_title
from tracker.domain.evidence import Evidence
from tracker.domain.vendors import Vendor
from tracker.services import dashboard, exports
from tracker.services.compliance import ComplianceReport, compliance_report
from tracker.services.exports import iso_to_roc

SHORT_LABELS = ("逾期項目", "30 日內到期", "離職未停用帳號", "未結案資安事件")

VENDOR_METRICS = 8  # at most this many vendor boxes (the worst first); the table below lists all


@st.cache_resource(max_entries=8, hash_funcs={ComplianceReport: id})
def dashboard_of(report: ComplianceReport, _store) -> dashboard.Dashboard:
    """The dashboard tables of a report; reports are shared until the data changes, so are these."""
    return dashboard.dashboard(_store, report)


user = require_role("manager", "it_office", "account_admin")
store = get_store()
report = compliance_report(store)
board = dashboard_of(report, store)
st.title("合規儀表板")
st.caption(f"資料日期：{roc_long(report.today)}　·　此頁僅供檢視 (read-only dashboard)")


def frame(table: dashboard.Table, drop: tuple[str, ...] = ("代碼", "佐證編號")) -> pd.DataFrame:
    """A table with ROC dates and reasons, without its id columns."""
    headers, rows = table_rows(table)
    keep = [i for i, c in enumerate(headers) if c not in drop]

    def shown(value):
        if isinstance(value, date | datetime):
            return roc(value)
        return iso_to_roc(value) if isinstance(value, str) else value

    return pd.DataFrame(
        [[shown(row[i]) for i in keep] for row in rows], columns=[headers[i] for i in keep]
    )


def title(table: dashboard.Table) -> str:
    return table_title(table.name, report.today)


cols = st.columns(5)
cols[0].metric(
    "整體合規率",
    dashboard.percent_text(report.overall),
    help=f"{report.overall.ok}/{report.overall.applicable} 項符合",
)
for col, label, table in zip(cols[1:], SHORT_LABELS, board.lists[:4], strict=True):
    col.metric(label, len(table.rows), help=title(table))

st.subheader("各廠商合規率")
vendor_names = {v.id: v.name for v in store.all(Vendor)}
worst = sorted(board.by_vendor.rows, key=lambda r: (r.percent is None, r.percent or 0))[
    :VENDOR_METRICS
]
if len(board.by_vendor.rows) > VENDOR_METRICS:
    st.caption(
        f"共 {len(board.by_vendor.rows)} 家廠商，以下為合規率最低的 {VENDOR_METRICS} 家；全部見下方「依廠商」。"
    )
vendor_cols = st.columns(max(1, len(worst)))
for col, row in zip(vendor_cols, worst, strict=False):
    col.metric(
        plain(row.name),
        dashboard.percent_text(report.by_vendor.get(row.key)),
        help=f"{row.ok}/{row.applicable} 項符合",
    )

for tab, table in zip(st.tabs([title(t) for t in board.rollups]), board.rollups, strict=True):
    with tab:
        percent_bars(table)
        show_table(frame(table))

st.subheader("廠商 × 應辦事項")
heatmap(vendor_obligation_matrix(report.rows, vendor_names))

st.subheader("待處理清單")
for tab, table in zip(st.tabs([title(t) for t in board.lists]), board.lists, strict=True):
    with tab:
        show_table(frame(table))

if user.role in ("manager", "it_office"):
    st.subheader("佐證資料")
    english("Evidence behind a status row")
    with_evidence = {row.evidence_id: row for row in board.detail.rows if row.evidence_id}
    picked = st.selectbox(
        "選擇項目以檢視佐證",
        ["", *with_evidence],
        format_func=lambda k: (
            "（請選擇）"
            if not k
            else (
                f"{with_evidence[k].obligation_id} {with_evidence[k].subject_label}｜"
                f"{with_evidence[k].vendor or with_evidence[k].agency}｜"
                f"{STATUS[with_evidence[k].status]}"
            )
        ),
    )
    evidence = store.get(Evidence, picked) if picked else None
    if evidence is not None:
        show_record(evidence)
        download_button(evidence, key=f"dash-download-{evidence.id}")

st.subheader("匯出")
english("Exports are written to the activity log")
left, right = st.columns(2)
if left.button("產生 Excel 活頁簿", icon=":material/table_view:"):
    st.session_state["export_xlsx"] = exports.workbook_bytes(board)
    exports.record_export(store, user.id, "xlsx", board)
if right.button("產生 PDF 報告", icon=":material/picture_as_pdf:"):
    st.session_state["export_pdf"] = exports.pdf_bytes(board)
    exports.record_export(store, user.id, "pdf", board)
stamp = report.today.isoformat()
if "export_xlsx" in st.session_state:
    left.download_button(
        "下載 Excel",
        st.session_state["export_xlsx"],
        file_name=f"compliance-{stamp}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
if "export_pdf" in st.session_state:
    right.download_button(
        "下載 PDF",
        st.session_state["export_pdf"],
        file_name=f"compliance-{stamp}.pdf",
        mime="application/pdf",
    )
