"""自主稽核: the self-audit of query logs, from the import to the kept audit record (points 7.2–7.5).

The account manager imports an NIA export, opens an audit for a period (the
population and the sample size by the rule are shown first), adds risk picks,
records a finding per sampled record, records the case a violation opens and
closes the audit, which stores the audit record (PDF and XLSX) as evidence.
A manager (主管) sees the tables only.  Subject IDs are masked everywhere.
"""

from datetime import date

import pandas as pd
import streamlit as st

from app_pages._common import (
    READ_ONLY_NOTE,
    attempt,
    english,
    get_blobs,
    get_store,
    require_role,
    roc,
    show_table,
)
from tracker import clock
from tracker.auditrecord import FINDING_LABELS, PICK_LABELS, case_lines, rule_text
from tracker.catalogue import default_catalogue
from tracker.domain import Agency
from tracker.sampling import RISK_REASONS, sample_size
from tracker.services import audits

user = require_role("account_admin", "manager")
editable = user.role == "account_admin"
store, blobs = get_store(), get_blobs()
logs = audits.log_store(store.settings)
catalogue = default_catalogue()
ratio, floor = catalogue.sampling_rule()
today = clock.today()
FINDING_BY_LABEL = {label: key for key, label in FINDING_LABELS.items() if key}


def done(message: str = "已登錄") -> None:
    st.toast(message)
    st.rerun()


st.title("自主稽核")
english(
    "Self-audit of NIA query logs: import, sample, findings, case, audit record (points 7.2–7.5)"
)
if not editable:
    st.caption(READ_ONLY_NOTE)
agencies = {
    a.id: a for a in sorted(store.all(Agency), key=lambda a: (a.parent_id is not None, a.name))
}
if not agencies:
    st.info("尚未建立機關資料。")
    st.stop()

st.subheader(f"{today.year - 1911} 年度自主稽核完成情形（每年至少 {audits.REQUIRED_PER_YEAR} 次）")
done_count = audits.audits_done(store, today.year)
show_table(
    pd.DataFrame(
        {
            "機關": [a.name for a in agencies.values()],
            "已結案": [done_count.get(a, 0) for a in agencies],
            "應辦": [audits.REQUIRED_PER_YEAR] * len(agencies),
            "狀態": [
                "已達成" if done_count.get(a, 0) >= audits.REQUIRED_PER_YEAR else "未達成"
                for a in agencies
            ],
        }
    )
)

agency_id = st.selectbox("機關", list(agencies), format_func=lambda a: agencies[a].name)
agency = agencies[agency_id]
tab_work, tab_import, tab_open = st.tabs(["稽核作業", "匯入查詢紀錄", "開啟稽核"])


# --- import -------------------------------------------------------------------

with tab_import:
    if editable:
        with st.form("import", clear_on_submit=True):
            st.markdown("**匯入移民署查詢紀錄匯出檔（CSV 或 XLSX）**")
            upload = st.file_uploader("查詢紀錄檔", type=["csv", "xlsx"])
            if st.form_submit_button("匯入", type="primary"):
                if upload is None:
                    st.error("請選擇檔案")
                else:
                    with attempt():
                        record = audits.import_query_log(
                            store,
                            logs,
                            blobs,
                            user.id,
                            agency_id=agency_id,
                            data=upload.getvalue(),
                            filename=upload.name,
                        )
                        st.success(
                            f"已匯入 {record.rows:,} 筆（{roc(record.first_queried_at)} – "
                            f"{roc(record.last_queried_at)}），原始檔 SHA-256 {record.sha256[:16]}…"
                        )
    imports = audits.list_imports(store, agency_id)
    st.markdown("**已匯入之查詢紀錄（保存至少五年，第七點第一款）**")
    show_table(
        pd.DataFrame(
            {
                "匯入時間": [roc(r.imported_at) for r in imports],
                "檔名": [r.filename for r in imports],
                "筆數": [r.rows for r in imports],
                "查詢期間": [
                    f"{roc(r.first_queried_at)} – {roc(r.last_queried_at)}" for r in imports
                ],
                "匯入者": [r.imported_by for r in imports],
                "SHA-256": [r.sha256[:16] + "…" for r in imports],
            }
        )
    )


# --- open ---------------------------------------------------------------------

with tab_open:
    st.markdown(
        f"**抽樣規則**：最小抽樣比例 {ratio.numerator}/{ratio.denominator}，至少 {floor} 筆，"
        f"少於 {floor} 筆則全數查核（第七點第二款）；抽樣數＝min(母體, max({floor}, "
        f"母體×{ratio.numerator}/{ratio.denominator} 無條件進位))。"
    )
    st.caption(f"本系統解讀：{catalogue.get('7.2').reading}")
    if editable:
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
                    audit = audits.open_audit(
                        store,
                        logs,
                        user.id,
                        agency_id=agency_id,
                        period_start=start,
                        period_end=end,
                        seed=seed,
                    )
                    done(f"已開啟稽核，抽樣 {audit.sample_size} 筆")
    else:
        st.info("僅機關帳號管理者可開啟稽核。")


# --- the audit ----------------------------------------------------------------


def audit_label(audit) -> str:
    state = f"已結案 {roc(audit.closed_on)}" if audit.closed_on else "進行中"
    return f"{roc(audit.period_start)} – {roc(audit.period_end)}（{state}）"


def records_frame(records) -> pd.DataFrame:
    """The sampled records, the finding columns early so they show without scrolling."""
    return pd.DataFrame(
        {
            "序號": range(1, len(records) + 1),
            "查詢時間": [f"{roc(r.queried_at.date())} {r.queried_at:%H:%M:%S}" for r in records],
            "帳號": [r.account for r in records],
            "查詢項目": [r.query_type for r in records],
            "查詢對象證號": [r.subject_id for r in records],
            "查詢事由": [r.purpose for r in records],
            "查核結果": [FINDING_LABELS[r.finding] if r.finding else None for r in records],
            "個案編號": [r.case_ref for r in records],
            "說明": [r.note for r in records],
            "抽選方式": [PICK_LABELS.get(r.pick, r.pick) for r in records],
            "來源IP": [r.ip for r in records],
            "行號": [r.line for r in records],
            "查核人": [r.reviewed_by for r in records],
        }
    )


def findings_editor(audit, records) -> None:
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
            audits.record_findings(store, user.id, changes)
            done(f"已儲存 {len(changes)} 筆查核結果")


def risk_form(audit) -> None:
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
                added = audits.add_risk_picks(
                    store,
                    logs,
                    user.id,
                    audit.id,
                    reasons=reasons,
                    limit_per_reason=int(limit),
                    office_hours=hours,
                )
                done(f"已加選 {len(added)} 筆")


def case_form(audit) -> None:
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
                audits.record_case(
                    store,
                    user.id,
                    audit.id,
                    notified_on=notified_on,
                    notified_units=units,
                    corrective_action=action,
                    corrective_due=due,
                    corrective_done_on=done_on,
                    recommendation=recommendation,
                )
                done("已儲存案件")


def close_section(audit) -> None:
    missing = audits.missing_findings(store, audit.id)
    if missing:
        st.warning(f"尚有 {missing} 筆未填查核結果，填妥後方可結案。")
    if st.button("結案並產生抽查紀錄", disabled=bool(missing), key="close_audit"):
        with attempt():
            audits.close_audit(store, blobs, user.id, audit.id)
            done("已結案，抽查紀錄已存為佐證資料")


def downloads(audit) -> None:
    if not (audit.record_pdf_id and audit.record_xlsx_id):
        st.info("此稽核未經本系統結案，無系統產生之抽查紀錄。")
        return
    with attempt():
        files = audits.record_files(store, blobs, audit.id)
        name = f"抽查紀錄-{agency.name}-{audit.period_start.isoformat()}-{audit.period_end.isoformat()}"
        left, right = st.columns(2)
        left.download_button("下載抽查紀錄 PDF", files["pdf"], f"{name}.pdf", "application/pdf")
        right.download_button(
            "下載抽查紀錄 Excel",
            files["xlsx"],
            f"{name}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )


with tab_work:
    listed = {a.id: a for a in reversed(audits.list_audits(store, agency_id))}
    if not listed:
        st.info("此機關尚未開啟自主稽核。")
    else:
        audit = listed[
            st.selectbox("稽核", list(listed), format_func=lambda a: audit_label(listed[a]))
        ]
        records = audits.sampled_records(store, audit.id)
        cols = st.columns(5)
        cols[0].metric("母體", f"{audit.population:,}")
        cols[1].metric("抽樣數", f"{audit.sample_size:,}")
        cols[2].metric("風險抽查", f"{audit.risk_picks:,}")
        cols[3].metric("未填結果", f"{sum(1 for r in records if not r.finding):,}")
        cols[4].metric("不合法", f"{audit.violations:,}")
        st.caption(
            f"{rule_text(audit, catalogue)}；亂數種子 {audit.seed}；開啟者 {audit.opened_by}，"
            f"{roc(audit.opened_at)}"
        )
        is_open = audit.closed_on is None
        if editable and is_open:
            risk_form(audit)
            findings_editor(audit, records)
        else:
            show_table(records_frame(records))
        if audit.violations:
            involved = sorted({r.account for r in records if r.finding == "not_legitimate"})
            st.error(
                f"查核發現 {audit.violations} 筆不合法查詢，涉及帳號：{'、'.join(involved)}；"
                "應通知政風單位會同資訊單位處理（第七點第三款）。"
            )
            if editable:
                case_form(audit)
            else:
                st.table(pd.DataFrame(case_lines(audit), columns=["項目", "內容"]).astype(str))
        if editable and is_open:
            close_section(audit)
        if editable and not is_open:
            downloads(audit)
