"""IT office: the outbox (寄件匣) — sent, failed and pending messages with their reasons; send now."""

import pandas as pd
import streamlit as st

from app_pages._common import attempt, get_store, plain, require_role, roc, show_table
from app_pages._mail import state_label
from tracker.core.errors import TrackerError
from tracker.domain.outbox import MessageKind
from tracker.notify.delivery import mail_settings
from tracker.services.contacts import missing_addresses
from tracker.services.notifications import message_text, outbox, send_pending_now

user = require_role("it_office")
store = get_store()
st.title("寄件匣")

try:
    server = mail_settings(store.settings)[0].display()
except TrackerError as exc:
    server = None
    st.warning(f"{plain(exc.message_zh)}：郵件會留在寄件匣，待設定後由排程或下方按鈕寄出。")
if server:
    st.caption(f"郵件伺服器：{plain(server)}")

done = st.session_state.pop("outbox_done", None)
if done:
    (st.success if done[0] == "ok" else st.warning)(plain(done[1]))  # may quote a server's reply

messages = outbox(store)
unsent = [m for m in messages if state_label(m) != "已寄出"]
left, middle, right = st.columns(3)
left.metric("待寄出", sum(state_label(m) == "待寄出" for m in messages))
middle.metric("寄送失敗（待重試）", sum(state_label(m) == "寄送失敗" for m in messages))
right.metric("已寄出", sum(state_label(m) == "已寄出" for m in messages))

if st.button(
    f"立即寄出待寄郵件（{len(unsent)} 封）",
    type="primary",
    disabled=not server or not unsent,
    key="send_now",
):
    with attempt():
        report = send_pending_now(store, actor=user.id)
        if report.ok:
            st.session_state["outbox_done"] = ("ok", f"已寄出 {len(report.sent)} 封。")
        else:
            zh = report.problem()[0]
            st.session_state["outbox_done"] = ("warn", f"已寄出 {len(report.sent)} 封；{zh}")
        st.rerun()

shown = st.segmented_control(
    "顯示", ["全部", "待寄出", "寄送失敗", "已寄出"], default="全部", key="outbox_filter"
)
rows = [m for m in messages if shown in (None, "全部") or state_label(m) == shown]
show_table(
    pd.DataFrame(
        {
            "建立時間": [roc(m.created_at) for m in rows],
            "類型": ["通知" if m.kind is MessageKind.NOTICE else "提醒" for m in rows],
            "收件者": ["、".join(m.to) or "（未設定收件信箱）" for m in rows],
            "主旨": [m.subject for m in rows],
            "項目": [m.item_count for m in rows],
            "狀態": [state_label(m) for m in rows],
            "失敗次數": [m.failures for m in rows],
            "原因": [m.last_error for m in rows],
            "寄出時間": [roc(m.sent_at) for m in rows],
            "下次重試": [roc(m.next_attempt_at) for m in rows],
        }
    ),
    column_config={"原因": st.column_config.TextColumn(width="large")},
)

by_id = {m.id: m for m in rows}
picked = st.selectbox(
    "檢視郵件內容",
    ["", *by_id],
    format_func=lambda i: (
        f"{roc(by_id[i].created_at)}　{by_id[i].subject}" if i else "（選擇郵件）"
    ),
    key="outbox_pick",
)
if picked:
    st.text(message_text(store, by_id[picked]))

missing = missing_addresses(store)
if missing:
    with st.expander(f"未設定通知信箱（{len(missing)}）"):
        st.caption("以下對象沒有電子郵件地址，提醒不會寄給他們；請於「廠商與委託案」頁設定。")
        show_table(pd.DataFrame({"對象": [m[0] for m in missing], "角色": [m[1] for m in missing]}))
st.caption(
    "每日早上由排程（python -m tracker notify run）寄出當日提醒：廠商於到期前 30、7、1 天及逾期首日、"
    "每週一；資訊室每日；機關帳號管理者每日（帳號待註銷、自主稽核時程）；主管每週一。"
    "資安事件與違規通知於登錄時立即寄出。寄送失敗者於下次執行時重試。"
)
