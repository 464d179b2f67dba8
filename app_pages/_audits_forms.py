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
from app_pages._dates import date_text, read_date
from app_pages._mail import send_notice_now
from app_pages._widgets import done, form_key, set_choice
from tracker.core import clock
from tracker.core.errors import InvalidInput
from tracker.documents.auditrecord import FINDING_LABELS, PICK_LABELS
from tracker.domain.audits import SelfAudit
from tracker.domain.vendors import Agency
from tracker.querylog.sampling import RISK_REASONS, sample_size
from tracker.querylog.store import LogStore
from tracker.services import audit_findings, audit_sampling, log_imports
from tracker.services.corrections import correct_audit_closing
from tracker.storage.blobs import BlobStore
from tracker.storage.store import Store

FINDING_BY_LABEL = {label: key for key, label in FINDING_LABELS.items() if key}


def import_form(store: Store, logs: LogStore, blobs: BlobStore, actor: str, agency_id: str) -> None:
    """An NIA export (CSV or XLSX) imported for the agency."""
    with st.form(form_key("import")):
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
                    done(
                        f"已匯入 {record.filename}：{record.rows:,} 筆（查詢期間 "
                        f"{roc(record.first_queried_at)} – {roc(record.last_queried_at)}），"
                        f"原始檔 SHA-256 {record.sha256[:16]}…",
                        clear="import",
                    )
                    if record.unrecognised_columns:  # header names from the file: text only
                        st.text(
                            "未辨識的欄位（未匯入，原檔保留）："
                            + "、".join(record.unrecognised_columns)
                        )
                    if record.totals_row_line is not None:
                        st.text(f"第 {record.totals_row_line} 行為合計列（與筆數相符），已略過")


def default_period(today: date) -> tuple[date, date]:
    """The current half-year up to today (7.2 asks for two audits a year)."""
    start = date(today.year, 1, 1) if today.month <= 6 else date(today.year, 7, 1)
    half_end = date(today.year, 6, 30) if today.month <= 6 else date(today.year, 12, 31)
    return start, min(half_end, today)


def open_form(
    store: Store,
    logs: LogStore,
    actor: str,
    agency: Agency,
    today: date,
    ratio: Fraction,
    floor: int,
) -> None:
    """The period, its population and sample size shown first, then the audit opened (7.2)."""
    first, last = default_period(today)
    left, right = st.columns(2)
    start_text = date_text("稽核期間起日", first, key="open_start", container=left)
    end_text = date_text("稽核期間迄日", last, key="open_end", container=right)
    try:
        start, end = read_date(start_text, "稽核期間起日"), read_date(end_text, "稽核期間迄日")
    except InvalidInput as exc:
        st.error(exc.message_zh)
        start = end = None
    population = logs.rows(agency.id, start, end).population if start and start <= end else 0
    left, right = st.columns(2)
    left.metric("母體（期間內已匯入筆數）", f"{population:,}")
    right.metric("抽樣數", f"{sample_size(population, ratio, floor):,}")
    with st.expander("進階：指定抽樣代碼（重現同一組樣本時使用）"):
        seed_text = st.text_input(
            "抽樣代碼（正整數；留空則由系統隨機產生並記錄於抽查紀錄）", key="open_seed"
        )
    if st.button("開啟稽核", type="primary", key="open_audit", disabled=start is None):
        seed = int(seed_text) if seed_text.strip().isdigit() else None
        if seed_text.strip() and seed is None:
            st.error("抽樣代碼須為正整數")
            return
        with attempt():
            audit = audit_sampling.open_audit(
                store,
                logs,
                actor,
                agency_id=agency.id,
                period_start=start,
                period_end=end,
                seed=seed,
            )
            set_choice(f"audit_pick-{agency.id}", audit.id)
            done(
                f"已開啟 {agency.name} {roc(audit.period_start)}–{roc(audit.period_end)} 之自主稽核："
                f"母體 {audit.population:,} 筆，抽樣 {audit.sample_size:,} 筆；請至「稽核作業」填寫查核結果。"
            )


def findings_editor(store: Store, actor: str, audit: SelfAudit, records: list) -> None:
    """The findings as one table, saved at once (no reload per cell); a refusal keeps the edits."""
    st.markdown(
        "**查核結果**（合法須填個案編號；不合法或無法判定須填說明）；填妥後按「儲存查核結果」一次儲存"
    )
    frame = records_frame(records)
    with st.form(f"findings-{audit.id}"):
        edited = st.data_editor(
            frame,
            hide_index=True,
            width="stretch",
            key=f"findings_{audit.id}",
            disabled=[c for c in frame.columns if c not in EDITABLE],
            column_order=[
                *FINDING_COLUMNS,
                *(c for c in frame.columns if c not in FINDING_COLUMNS),
            ],
            column_config={
                "查核結果": st.column_config.SelectboxColumn(options=list(FINDING_BY_LABEL)),
                "個案編號": st.column_config.TextColumn(max_chars=60),
                "說明": st.column_config.TextColumn(max_chars=1000, width="large"),
            },
        )
        if not st.form_submit_button("儲存查核結果", type="primary"):
            return
    changes = changed_findings(records, edited)
    if not changes:
        st.info("查核結果沒有變更。")
        return
    with attempt():
        audit_findings.record_findings(store, actor, changes)
        left = audit_findings.missing_findings(store, audit.id)
        message = f"已儲存 {len(changes)} 筆查核結果（{roc(clock.today())}）；尚有 {left} 筆未填。"
        if _violation(changes):  # 7.3: the notice was queued with the findings; send it now
            message += send_notice_now(store, f"audit:{audit.id}", actor)
        done(message)


FINDING_COLUMNS = ("序號", "查核結果", "個案編號", "說明")
EDITABLE = ("查核結果", "個案編號", "說明")


def changed_findings(records: list, edited) -> list[tuple[str, str, str, str]]:
    """``(record id, finding, note, case ref)`` for every row the table changed."""
    changes = []
    for record, (_, row) in zip(records, edited.iterrows(), strict=True):
        finding = FINDING_BY_LABEL.get(_text(row["查核結果"]), "")
        note, case_ref = _text(row["說明"]), _text(row["個案編號"])
        if (finding, note, case_ref) != (record.finding, record.note, record.case_ref) and (
            finding or note or case_ref
        ):
            changes.append((record.id, finding, note, case_ref))
    return changes


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


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
            placeholder="請選擇…",
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
                done(f"已加選風險抽查 {len(added)} 筆（{roc(clock.today())}）")


def case_form(store: Store, actor: str, audit: SelfAudit, today: date) -> None:
    with st.form("case"):
        st.markdown("**違失案件**（第七點第三款至第五款）")
        notified_on = date_text("通知政風及資訊單位日期（7.3）", audit.notified_on)
        units = st.text_input("通知單位", value=audit.notified_units or "政風室、資訊室")
        action = st.text_area("改善措施", value=audit.corrective_action)
        due = date_text("改善期限", audit.corrective_due)
        done_on = date_text("改善完成日期", audit.corrective_done_on)
        recommendation = st.text_input("獎懲建議（無則填「無」）", value=audit.recommendation)
        if st.form_submit_button("儲存案件"):
            with attempt():
                audit_findings.record_case(
                    store,
                    actor,
                    audit.id,
                    notified_on=read_date(notified_on, "通知日期", required=False),
                    notified_units=units,
                    corrective_action=action,
                    corrective_due=read_date(due, "改善期限", past=False, required=False),
                    corrective_done_on=read_date(done_on, "改善完成日期", required=False),
                    recommendation=recommendation,
                )
                done(f"已儲存違失案件（{roc(audit.period_start)}–{roc(audit.period_end)} 之稽核）")


def close_section(store: Store, blobs: BlobStore, actor: str, audit: SelfAudit) -> None:
    """Closing, refused (and said why) while findings or the violation's case are incomplete."""
    missing = audit_findings.missing_findings(store, audit.id)
    gaps = audit_findings.missing_case_fields(audit)
    if missing:
        st.warning(f"尚有 {missing} 筆未填查核結果，填妥後方可結案。")
    if gaps:
        st.warning(f"違失案件尚缺{'、'.join(gaps)}，填妥後方可結案（第七點第三款、第四款）。")
    if st.button("結案並產生抽查紀錄", disabled=bool(missing or gaps), key="close_audit"):
        with attempt():
            closed = audit_findings.close_audit(store, blobs, actor, audit.id)
            done(
                f"已結案 {roc(closed.period_start)}–{roc(closed.period_end)} 之自主稽核"
                f"（{roc(closed.closed_on)}）；抽查紀錄已存為佐證資料。"
            )


def reopen_form(store: Store, actor: str, audit: SelfAudit) -> None:
    """A closing set right: the audit reopens, its audit record is kept as superseded."""
    with st.expander("更正結案（結案有誤時重新開啟）"), st.form(form_key(f"reopen-{audit.id}")):
        reason = st.text_input("更正理由（必填，記入操作日誌）")
        if st.form_submit_button("重新開啟稽核"):
            with attempt():
                reopened = correct_audit_closing(store, actor, audit.id, reason)
                done(
                    f"已重新開啟 {roc(reopened.period_start)}–{roc(reopened.period_end)} 之自主稽核；"
                    "原抽查紀錄保留為已被取代。",
                    clear=f"reopen-{audit.id}",
                )
