"""The 自主稽核 page's tables and downloads (:mod:`app_pages.self_audits`).

The forms, shown to the account manager only, are in :mod:`app_pages._audits_forms`.
Subject IDs are shown masked, as the sampled records keep them.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pandas as pd
import streamlit as st

from app_pages._common import attempt, plain, roc, show_wrapped
from tracker.compliance.catalogue import Catalogue
from tracker.documents.auditrecord import FINDING_LABELS, PICK_LABELS, case_lines, rule_text
from tracker.domain.audits import SelfAudit
from tracker.domain.vendors import Agency
from tracker.services import audit_findings, audits, log_imports
from tracker.storage.blobs import BlobStore
from tracker.storage.store import Store


def yearly_status(store: Store, agencies: dict[str, Agency], today: date) -> None:
    """7.2: the audits each agency closed this year against the two required."""
    st.subheader(
        f"{today.year - 1911} 年度自主稽核完成情形（每年至少 {audits.REQUIRED_PER_YEAR} 次）"
    )
    done_count = audits.audits_done(store, today.year)
    show_wrapped(
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


def imports_table(store: Store, agency_id: str) -> None:
    """The agency's imported query logs (kept at least five years, 7.1)."""
    imports = log_imports.list_imports(store, agency_id)
    st.markdown("**已匯入之查詢紀錄（保存至少五年，第七點第一款）**")
    show_wrapped(
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


def sampling_rule(ratio: Fraction, floor: int, catalogue: Catalogue) -> None:
    """7.2: the sampling rule and how this system reads it."""
    st.markdown(
        f"**抽樣規則**：最小抽樣比例 {ratio.numerator}/{ratio.denominator}，至少 {floor} 筆，"
        f"少於 {floor} 筆則全數查核（第七點第二款）；抽樣數＝min(母體, max({floor}, "
        f"母體×{ratio.numerator}/{ratio.denominator} 無條件進位))。"
    )
    st.caption(f"本系統解讀：{catalogue.get('7.2').reading_zh}")


def audit_label(audit: SelfAudit) -> str:
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


def audit_summary(audit: SelfAudit, records: list, catalogue: Catalogue) -> None:
    """The audit's counts, its rule, seed and opener."""
    cols = st.columns(5)
    cols[0].metric("母體", f"{audit.population:,}")
    cols[1].metric("抽樣數", f"{audit.sample_size:,}")
    cols[2].metric("風險抽查", f"{audit.risk_picks:,}")
    cols[3].metric("未填結果", f"{sum(1 for r in records if not r.finding):,}")
    cols[4].metric("不合法", f"{audit.violations:,}")
    st.caption(
        f"{plain(rule_text(audit, catalogue))}；抽樣代碼 {audit.seed}（以同一代碼可重現同一組樣本）；"
        f"開啟者 {plain(audit.opened_by)}，"
        f"{roc(audit.opened_at)}"
    )


def violation_alert(audit: SelfAudit, records: list) -> None:
    """7.3: the not legitimate queries found and the accounts involved."""
    involved = sorted({r.account for r in records if r.finding == "not_legitimate"})
    st.error(
        f"查核發現 {audit.violations} 筆不合法查詢，涉及帳號：{plain('、'.join(involved))}；"
        "應通知政風單位會同資訊單位處理（第七點第三款）。"
    )


def case_table(audit: SelfAudit) -> None:
    """The case a violation opened (7.3–7.5), read only."""
    st.table(
        pd.DataFrame([(plain(k), plain(v)) for k, v in case_lines(audit)], columns=["項目", "內容"])
    )


def downloads(store: Store, blobs: BlobStore, audit: SelfAudit, agency: Agency) -> None:
    """The kept audit record (PDF and XLSX) of a closed audit."""
    if not (audit.record_pdf_id and audit.record_xlsx_id):
        st.info("此稽核未經本系統結案，無系統產生之抽查紀錄。")
        return
    with attempt():
        files = audits.record_files(store, blobs, audit.id)
        name = audit_findings.record_name(audit, agency)
        left, right = st.columns(2)
        left.download_button("下載抽查紀錄 PDF", files["pdf"], f"{name}.pdf", "application/pdf")
        right.download_button(
            "下載抽查紀錄 Excel",
            files["xlsx"],
            f"{name}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
