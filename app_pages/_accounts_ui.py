"""The 移民署系統帳號 page's labels and tables (:mod:`app_pages.nia_accounts`).

The forms, shown to the account manager only, are in :mod:`app_pages._accounts_forms`.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from app_pages._common import plain, roc, show_table, show_wrapped
from tracker.documents.labels import ACCOUNT_STATE
from tracker.domain.accounts import NiaAccount
from tracker.domain.vendors import Agency
from tracker.services import account_changes, account_departure, account_register
from tracker.storage.store import Store

STATE = ACCOUNT_STATE
STEP = {
    "drafted": "填寫申請表",
    "submitted": "送出申請",
    "first_review": "初審（使用單位主管）",
    "second_review": "複審（機關帳號管理者）",
    "nia_confirmed": "移民署核准開通",
    "holder_left": "使用者異動",
    "cancelled": "帳號註銷",
}
DECISION = {"approved": "通過", "rejected": "退件", "": ""}
LEFT = {"resigned": "辭職", "left": "離職", "suspended": "停職", "transferred": "職務調動"}


def label(account) -> str:
    return f"{account.holder}（{account.unit}，{STATE.get(account.state, account.state)}）"


def removal_text(account: NiaAccount, today: date) -> str:
    if account.removal_due is None or account.removed_on is not None:
        return ""
    late = "，逾期" if account_departure.removal_overdue(account, today) else ""
    return f"異動 {roc(account.holder_left_on)}，期限 {roc(account.removal_due)}{late}"


def register_table(register: list[NiaAccount], bases: dict, channels: dict, today: date) -> None:
    """The agency's accounts, after an alarm naming holders who left and are not cancelled in time."""
    overdue = [a for a in register if account_departure.removal_overdue(a, today)]
    if overdue:
        st.error(
            f"{len(overdue)} 個帳號之使用者已異動但逾期未註銷（第五點第三款）："
            + plain("、".join(a.holder for a in overdue))
        )
    show_table(
        pd.DataFrame(
            {
                "使用者": [a.holder for a in register],
                "狀態": [state_text(a) for a in register],
                "單位": [a.unit for a in register],
                "移民署帳號": [a.login for a in register],
                "身分證號": [a.holder_id_masked for a in register],
                "法令依據": [bases.get(a.legal_basis, a.legal_basis) for a in register],
                "開通日": [roc(a.active_from) for a in register],
                "IP 位址": ["、".join(a.ips) for a in register],
                "異動／註銷期限": [removal_text(a, today) for a in register],
            }
        ),
        column_config={
            "使用者": st.column_config.TextColumn(width=80),
            "狀態": st.column_config.TextColumn(width=120),
            "單位": st.column_config.TextColumn(width=130),
            "移民署帳號": st.column_config.TextColumn(width=80),
            "身分證號": st.column_config.TextColumn(width=100),
            "開通日": st.column_config.TextColumn(width=80),
            "法令依據": st.column_config.TextColumn(width=150),
        },
    )


def state_text(account: NiaAccount) -> str:
    """The state, with the day an account was cancelled."""
    state = STATE.get(account.state, account.state)
    return f"{state} {roc(account.removed_on)}" if account.removed_on else state


def account_heading(account: NiaAccount, bases: dict, today: date) -> None:
    """Who holds the account and why, its rejection reason and an overdue removal (5.3)."""
    st.markdown(
        f"**{plain(account.holder)}**　{plain(account.unit)}　"
        f"狀態：{STATE.get(account.state, account.state)}　"
        f"法令依據：{bases.get(account.legal_basis, account.legal_basis)}　"
        f"承辦業務：{plain(account.business)}"
    )
    if account.rejection_reason:
        st.warning(f"退件理由：{plain(account.rejection_reason)}")
    if account_departure.removal_overdue(account, today):
        st.error(
            f"使用者已於 {roc(account.holder_left_on)} 異動，註銷期限 {roc(account.removal_due)} 已過。"
        )


def show_history(store: Store, account: NiaAccount) -> None:
    st.markdown("**申請與異動歷程**")
    steps = account_register.account_steps(store, account.id)
    show_wrapped(
        pd.DataFrame(
            {
                "日期": [roc(s.on) for s in steps],
                "作業": [STEP.get(s.step, s.step) for s in steps],
                "結果": [DECISION.get(s.decision, s.decision) for s in steps],
                "承辦／審核者": [s.by for s in steps],
                "理由": [LEFT.get(s.reason, s.reason) for s in steps],
                "登錄者": [s.actor for s in steps],
                "登錄時間": [roc(s.at) for s in steps],
            }
        )
    )
    st.markdown("**IP 位址異動紀錄（第六點第四款）**")
    changes = account_changes.ip_history(store, account.id)
    show_wrapped(
        pd.DataFrame(
            {
                "時間": [roc(c.at) for c in changes],
                "原 IP": ["、".join(c.old) or "—" for c in changes],
                "新 IP": ["、".join(c.new) for c in changes],
                "原因": [c.reason for c in changes],
                "登錄者": [c.actor for c in changes],
            }
        )
    )
    st.markdown("**代查授權（移民資料代查授權單，第五點第六款）**")
    grants = account_changes.proxy_authorizations(store, account.id)
    show_wrapped(
        pd.DataFrame(
            {
                "委託查詢人": [g.requester for g in grants],
                "單位": [g.requester_unit for g in grants],
                "個案編號": [g.case_ref for g in grants],
                "授權日": [roc(g.granted_on) for g in grants],
                "終止日": [roc(g.revoked_on) for g in grants],
                "登錄者": [g.actor for g in grants],
            }
        )
    )


def admin_history(store: Store, agency: Agency) -> None:
    """The agency's account manager and the history of changes (5.4)."""
    st.markdown(f"現任機關帳號管理者：**{plain(agency.account_admin) or '（未指派）'}**")
    changes = account_changes.admin_changes(store, agency.id)
    show_wrapped(
        pd.DataFrame(
            {
                "時間": [roc(c.at) for c in changes],
                "原管理者": [c.old or "—" for c in changes],
                "新管理者": [c.new for c in changes],
                "原因": [c.reason for c in changes],
                "登錄者": [c.actor for c in changes],
            }
        )
    )
