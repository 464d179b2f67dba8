"""Dashboard (read only): compliance overall and per vendor, contract, obligation and agency,
the heat-map, the lists that need attention, evidence behind a row, and the Excel/PDF exports.

The screen and both exports are built from one ``Dashboard`` of one report, so
their numbers are the same.
"""

from datetime import date, datetime

import pandas as pd
import streamlit as st

from app_pages._charts import heatmap, percent_bars, vendor_obligation_matrix
from app_pages._common import (
    get_store,
    plain_frame,
    require_role,
    roc,
    roc_long,
    show_table,
    show_wrapped,
)
from app_pages._evidence import download_button, show_record
from app_pages._widgets import choose_record
from tracker.documents.labels import STATUS, table_rows, table_title
from tracker.domain.evidence import Evidence
from tracker.domain.vendors import Vendor
from tracker.services import dashboard, exports, report_pdf
from tracker.services.compliance import ComplianceReport, compliance_report
from tracker.services.exports import iso_to_roc

SHORT_LABELS = ("逾期/過期", "30日內到期", "離職未停用", "未結案事件")  # fit 1024 px


@st.cache_resource(max_entries=8, hash_funcs={ComplianceReport: id})
def dashboard_of(report: ComplianceReport, _store) -> dashboard.Dashboard:
    """The dashboard tables of a report; reports are shared until the data changes, so are these."""
    return dashboard.dashboard(_store, report)


user = require_role("manager", "it_office", "account_admin")
store = get_store()
report = compliance_report(store)
board = dashboard_of(report, store)
st.title("合規儀表板")
st.caption(f"資料日期：{roc_long(report.today)}　·　此頁僅供檢視")


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


def detail_frame(table: dashboard.Table) -> pd.DataFrame:
    """A list of status rows as the manager reads it: by when, what, who, why (no ids)."""
    rows = table.rows
    return pd.DataFrame(
        {
            "期限": [roc(r.due) for r in rows],
            "狀態": [STATUS[r.status] for r in rows],
            "廠商／機關": [r.vendor or r.agency for r in rows],
            "應辦事項": [f"{r.obligation_id} {r.obligation_title}" for r in rows],
            "對象": [iso_to_roc(r.subject_label) for r in rows],
            "說明": [iso_to_roc(r.reason) for r in rows],
        }
    )


NARROW = st.column_config.TextColumn(width="small")


cols = st.columns(5)
cols[0].metric(
    "整體合規率",
    dashboard.percent_text(report.overall),
    help=f"{report.overall.ok}/{report.overall.applicable} 項符合",
)
for col, label, table in zip(cols[1:], SHORT_LABELS, board.lists[:4], strict=True):
    col.metric(label, len(table.rows), help=title(table))

st.subheader("需要處理的廠商")
st.caption(
    "依逾期或已過期項數、待辦項數、最早期限排序；合規率僅供參考（適用項目少時一項即影響甚大）。"
)
attention = frame(board.attention)
if attention.empty:
    st.success("所有廠商目前沒有待辦項目。")
else:
    # A static table: its cells wrap, so who, why and by when fit the screen without scrolling.
    attention["合規率(%)"] = attention["合規率(%)"].map(lambda v: "—" if v is None else f"{v:.1f}")
    st.table(plain_frame(attention).set_index("廠商"))

st.subheader("待處理清單")
for tab, table in zip(st.tabs([title(t) for t in board.lists]), board.lists, strict=True):
    with tab:
        if table.name in ("incidents", "audits"):
            show_wrapped(frame(table, drop=("代碼", "編號")))
        else:
            show_wrapped(
                detail_frame(table),
                "期限",
                column_config={
                    "期限": st.column_config.TextColumn(width=80),
                    "狀態": st.column_config.TextColumn(width=56),
                    "廠商／機關": st.column_config.TextColumn(width=130),
                    "應辦事項": st.column_config.TextColumn(width=130),
                    "對象": st.column_config.TextColumn(width=84),
                    "說明": st.column_config.TextColumn(width=320),
                },
            )

st.subheader("合規率")
for tab, table in zip(st.tabs([title(t) for t in board.rollups]), board.rollups, strict=True):
    with tab:
        percent_bars(table)
        show_table(frame(table))

st.subheader("廠商 × 應辦事項")
vendor_names = {v.id: v.name for v in store.all(Vendor)}
heatmap(vendor_obligation_matrix(report.rows, vendor_names))

if user.role in ("manager", "it_office"):
    st.subheader("佐證資料")
    with_evidence = {row.evidence_id: row for row in board.detail.rows if row.evidence_id}
    picked = choose_record(
        "選擇項目以檢視佐證",
        {
            k: f"{r.obligation_id} {r.subject_label}｜{r.vendor or r.agency}｜{STATUS[r.status]}"
            for k, r in with_evidence.items()
        },
        key="dashboard_evidence",
    )
    evidence = store.get(Evidence, picked) if picked else None
    if evidence is not None:
        show_record(evidence)
        download_button(evidence, key=f"dash-download-{evidence.id}")

st.subheader("匯出")
st.caption("匯出時記入操作日誌。")
left, right = st.columns(2)
if left.button("產生 Excel 活頁簿", icon=":material/table_view:"):
    st.session_state["export_xlsx"] = exports.workbook_bytes(board)
    exports.record_export(store, user.id, "xlsx", board)
if right.button("產生 PDF 報告", icon=":material/picture_as_pdf:"):
    st.session_state["export_pdf"] = report_pdf.pdf_bytes(board)
    exports.record_export(store, user.id, "pdf", board)
if "export_xlsx" in st.session_state:
    left.download_button(
        "下載 Excel",
        st.session_state["export_xlsx"],
        file_name=exports.export_file_name("xlsx", report.today),
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
if "export_pdf" in st.session_state:
    right.download_button(
        "下載 PDF",
        st.session_state["export_pdf"],
        file_name=exports.export_file_name("pdf", report.today),
        mime="application/pdf",
    )
