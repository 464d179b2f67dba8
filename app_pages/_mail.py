"""What pages say about mail: the outcome of sending a notice at once, the outbox's state labels.

A page records an event through its service (which queues the notice), then
calls :func:`send_notice_now`; without a mail server the notice simply waits
in the outbox for the next ``notify run``.
"""

from __future__ import annotations

import streamlit as st

from tracker.domain.outbox import Delivery, OutboxMessage
from tracker.services.notifications import send_event_notices
from tracker.storage.store import Store


def state_label(message: OutboxMessage) -> str:
    """已寄出 / 寄送失敗 (pending after a failed attempt) / 待寄出."""
    if message.state is Delivery.SENT:
        return "已寄出"
    return "寄送失敗" if message.last_error else "待寄出"


def send_notice_now(store: Store, event: str, actor: str, *, detail: bool = True) -> str:
    """Send the queued notices of ``event``; a zh-TW sentence saying what happened.

    ``detail=False`` (a vendor's page) leaves out the server's name and answer.
    """
    report = send_event_notices(store, event, actor=actor)
    if report is None:
        return "通知已排入寄件匣（尚未設定郵件伺服器，將由排程寄出）。"
    if report.sent and report.ok:
        return f"已寄出 {len(report.sent)} 封通知信。"
    if report.ok:
        return "通知已排入寄件匣。"
    reason = f"：{report.problem()[0]}" if detail else "。"
    return f"通知信未能寄出，已留在寄件匣，將於下次排程重試{reason}"


def show_notice_outcome(text: str) -> None:
    if text.startswith("通知信未能寄出"):
        st.warning(text)
    else:
        st.info(text)
