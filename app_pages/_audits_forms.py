"""The 自主稽核 page's forms, for the account manager (:mod:`app_pages.self_audits`).

Each form records one step through :mod:`tracker.services.audits` and redraws
the page; ``actor`` is the signed-in user's id, ``today`` the page's Taipei day.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import streamlit as st

from app_pages._audits_ui import records_frame
from app_pages._common import attempt, roc
from app_pages._mail import send_notice_now
from tracker.documents.auditrecord import FINDING_LABELS, PICK_LABELS
from tracker.domain.audits import SelfAudit
from tracker.querylog.sampling import RISK_REASONS, sample_size
from tracker.querylog.store import LogStore
from tracker.services import audit_findings, audit_sampling, log_imports
from tracker.storage.blobs import BlobStore
from tracker.storage.store import Store

FINDING_BY_LABEL = {label: key for key, label in FINDING_LABELS.items() if key}


def done(message: str = "已登錄") -> None:
    st.toast(message)
    st.rerun()


def import_form(store: Store, logs: LogStore, blobs: BlobStore, actor: str, agency_id: str) -> None:
    """An NIA export (CSV or XLSX) imported for the agency."""
    with st.form("import", clear_on_submit=True):
        st.markdown("**匯入移民署查詢紀錄匯出檔（CSV 或 XLSX）**")
        upload = st.file_uploader("查詢紀錄檔", type=["csv", "xlsx"])
        if st.form_submit_button("匯入", type="primary"):
            if upload is None:
                st.error("請選擇檔案")
            else:
                with attempt():
                    record = log_imports.import_query_log(
                        store,
                        logs,
                        blobs,
                        actor,
                        agency_id=agency_id,
                        data=upload.getvalue(),
                        filename=upload.name,
                    )
                    st.success(
                        f"已匯入 {record.rows:,} 筆（{roc(record.first_queried_at)} – "
                        f"{roc(record.last_queried_at)}），原始檔 SHA-256 {record.sha256[:16]}…"
                    )
                    if record.unrecognised_columns:  # header names from the file: text only
                        st.text(
                            "未辨識的欄位（未匯入，原檔保留）："
                            + "、".join(record.unrecognised_columns)
                        )
                    if record.totals_row_line is not None:
                        st.text(f"第 {record.totals_row_line} 行為合計列（與筆數相符），已略過")


def open_form(
    store: Store,
    logs: LogStore,
    actor: str,
    agency_id: str,
    today: date,
    ratio: Fraction,
    floor: int,
) -> None:
    """The period, its population and sample size shown first, then the audit opened (7.2)."""
    half = date(today.year, 1, 1) if today.month > 6 else date(today.year - 1, 7, 1)
    start = st.date_input("稽核期間起日", value=half, max_value=today)
    end = st.date_input(
        "稽核期間迄日",
        value=date(half.year, 6, 30) if half.month == 1 else date(half.year, 12, 31),
    )
    population = logs.rows(agency_id, start, end).population if start <= end else 0
    left, right = st.columns(2)
    left.metric("母體（期間內已匯入筆數）", f"{population:,}")
    right.metric("抽樣數", f"{sample_size(population, ratio, floor):,}")
    seed_text = st.text_input("亂數種子（留空則隨機產生並記錄）")
    if st.button("開啟稽核", type="primary", key="open_audit"):
        with attempt():
            seed = int(seed_text) if seed_text.strip().isdigit() else None
            if seed_text.strip() and seed is None:
                st.error("亂數種子須為正整數")
            else:
                audit = audit_sampling.open_audit(
                    store,
                    logs,
                    actor,
                    agency_id=agency_id,
                    period_start=start,
                    period_end=end,
                    seed=seed,
                )
                done(f"已開啟稽核，抽樣 {audit.sample_size} 筆")


def findings_editor(store: Store, actor: str, audit: SelfAudit, records: list) -> None:
    st.markdown("**查核結果**（合法須填個案編號；不合法或無法判定須填說明）")
    frame = records_frame(records)
    edited = st.data_editor(
        frame,
        hide_index=True,
        width="stretch",
        key=f"findings_{audit.id}",
        disabled=[c for c in frame.columns if c not in ("查核結果", "說明", "個案編號")],
        column_config={
            "查核結果": st.column_config.SelectboxColumn(options=list(FINDING_BY_LABEL))
        },
    )
    if st.button("儲存查核結果", type="primary", key="save_findings"):
        changes = []
        for record, (_, row) in zip(records, edited.iterrows(), strict=True):
            finding = FINDING_BY_LABEL.get(row["查核結果"] or "", "")
            note, case_ref = str(row["說明"] or ""), str(row["個案編號"] or "")
            if finding and (finding, note, case_ref) != (
                record.finding,
                record.note,
                record.case_ref,
            ):
                changes.append((record.id, finding, note, case_ref))
        with attempt():
            audit_findings.record_findings(store, actor, changes)
            message = f"已儲存 {len(changes)} 筆查核結果"
            if _violation(changes):  # 7.3: the notice was queued with the findings; send it now
                message += "；" + send_notice_now(store, f"audit:{audit.id}", actor)
            done(message)


def _violation(changes) -> bool:
    return any(finding == "not_legitimate" for _, finding, _, _ in changes)


def risk_form(store: Store, logs: LogStore, actor: str, audit: SelfAudit) -> None:
    with st.expander("加選風險抽查"), st.form("risk"):
        st.markdown("**加選風險抽查**（於隨機抽樣之外，另行標示原因）")
        reasons = st.multiselect(
            "條件",
            list(RISK_REASONS),
            default=list(RISK_REASONS),
            format_func=lambda r: PICK_LABELS[r].removeprefix("風險："),
        )
        limit = st.number_input("每項條件筆數", min_value=1, max_value=100, value=5)
        hours = st.slider("上班時間", 0, 24, (8, 18))
        if st.form_submit_button("加選"):
            with attempt():
                added = audit_sampling.add_risk_picks(
                    store,
                    logs,
                    actor,
                    audit.id,
                    reasons=reasons,
                    limit_per_reason=int(limit),
                    office_hours=hours,
                )
                done(f"已加選 {len(added)} 筆")


def case_form(store: Store, actor: str, audit: SelfAudit, today: date) -> None:
    with st.form("case"):
        st.markdown("**違失案件**（第七點第三款至第五款）")
        notified_on = st.date_input(
            "通知政風及資訊單位日期", value=audit.notified_on, max_value=today
        )
        units = st.text_input("通知單位", value=audit.notified_units or "政風室、資訊室")
        action = st.text_area("改善措施", value=audit.corrective_action)
        due = st.date_input("改善期限", value=audit.corrective_due)
        done_on = st.date_input("改善完成日期", value=audit.corrective_done_on, max_value=today)
        recommendation = st.text_input("獎懲建議（無則填「無」）", value=audit.recommendation)
        if st.form_submit_button("儲存案件"):
            with attempt():
                audit_findings.record_case(
                    store,
                    actor,
                    audit.id,
                    notified_on=notified_on,
                    notified_units=units,
                    corrective_action=action,
                    corrective_due=due,
                    corrective_done_on=done_on,
                    recommendation=recommendation,
                )
                done("已儲存案件")


def close_section(store: Store, blobs: BlobStore, actor: str, audit: SelfAudit) -> None:
    missing = audit_findings.missing_findings(store, audit.id)
    if missing:
        st.warning(f"尚有 {missing} 筆未填查核結果，填妥後方可結案。")
    if st.button("結案並產生抽查紀錄", disabled=bool(missing), key="close_audit"):
        with attempt():
            audit_findings.close_audit(store, blobs, actor, audit.id)
            done("已結案，抽查紀錄已存為佐證資料")
