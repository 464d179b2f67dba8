"""Sending queued messages through one SMTP connection, each marked sent only once accepted.

One sender at a time: the CLI's run and the web app's immediate sends take
the outbox's own lock (``<data>/outbox/.lock``, left out of backups like every
``.lock``) around choosing, sending and marking, so a message is never sent
by both.  The store's lock is held only while a record is written, never
while the server is talking.

Every outcome is logged through the store: ``notify_sent`` (accepted),
``notify_failed`` (refused, or the server could not be used).  If the
process dies after the server accepted a message and before it was marked,
the next run sends it again: SMTP gives no way to close that gap, and the
message keeps its Message-ID so a mail system can tell.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.headerregistry import Address

from filelock import FileLock, Timeout

from tracker.core import clock
from tracker.core.config import Settings
from tracker.domain.outbox import OutboxContent, OutboxMessage
from tracker.notify.outbox import after_refusal, after_sent, after_server_failure, is_due
from tracker.notify.render import build_email, sender
from tracker.notify.smtp import (
    Connection,
    MailNotConfigured,
    MessageRefused,
    ServerUnusable,
    SmtpConfig,
    parse_smtp_url,
)
from tracker.storage.store import Store

_memory_lock = threading.Lock()  # the in-memory store's stand-in for the lock file


@dataclass
class SendReport:
    """What one sending pass did.  ``server_error`` set: the server could not be used."""

    sent: list[OutboxMessage] = field(default_factory=list)
    refused: list[tuple[OutboxMessage, str]] = field(default_factory=list)
    unsent: list[OutboxMessage] = field(default_factory=list)
    server_error: ServerUnusable | None = None
    busy: bool = False

    @property
    def ok(self) -> bool:
        return self.server_error is None and not self.refused and not self.busy

    def problem(self) -> tuple[str, str]:
        """A one-line (zh-TW, English) account of what went wrong; ``("", "")`` when nothing did."""
        if self.busy:
            return (
                "另一個程序正在寄信，請稍後再試",
                "another process is sending mail; try again later",
            )
        if self.server_error is not None:
            n = len(self.unsent)
            return (
                f"{self.server_error.message_zh}；{n} 封未寄出，將於下次執行時重試",
                f"{self.server_error.message_en}; {n} not sent, retried on the next run",
            )
        if self.refused:
            first = self.refused[0][1]
            n = len(self.refused)
            return (
                f"{n} 封郵件遭郵件伺服器拒收（{first}），將於下次執行時重試",
                f"{n} messages refused by the mail server ({first}); retried on the next run",
            )
        return "", ""


def mail_settings(settings: Settings | None) -> tuple[SmtpConfig, Address]:
    """The server and the sender; MailNotConfigured without ``TRACKER_SMTP_URL``, InvalidInput
    for a bad URL or sender (``TRACKER_MAIL_FROM``; when empty, see render.default_sender)."""
    if settings is None or not settings.smtp_url:
        raise MailNotConfigured(
            "未設定郵件伺服器 TRACKER_SMTP_URL，未寄出任何郵件",
            "TRACKER_SMTP_URL is not set; nothing was sent",
        )
    return parse_smtp_url(settings.smtp_url, settings.smtp_password), sender(settings.mail_from)


@contextmanager
def sending(store: Store, timeout: float):
    """Hold the outbox's send lock; yields False (holding nothing) when it stays busy ``timeout`` s."""
    if store.memory:
        got = _memory_lock.acquire(timeout=timeout)
        try:
            yield got
        finally:
            if got:
                _memory_lock.release()
        return
    folder = store.settings.data_dir / "outbox"
    folder.mkdir(exist_ok=True)
    lock = FileLock(str(folder / ".lock"), timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


def deliver(
    store: Store,
    ids: Iterable[str],
    *,
    actor: str,
    ignore_backoff: bool = False,
    lock_timeout: float = 60.0,
) -> SendReport:
    """Send the messages ``ids`` that are still due, in order, over one connection.

    Raises MailNotConfigured (or InvalidInput for a bad setting) before
    anything is written.  Accepted messages are marked sent one by one; a
    refused one is marked failed and the next is tried; when the server
    becomes unusable, it and every message not yet sent are marked failed.
    """
    config, from_address = mail_settings(store.settings)
    report = SendReport()
    with sending(store, lock_timeout) as got:
        if not got:
            report.busy = True
            return report
        now = clock.now()
        due = [
            m
            for m in (store.get(OutboxMessage, i) for i in ids)
            if m and is_due(m, now, ignore_backoff=ignore_backoff)
        ]
        if due:
            _send_all(store, config, from_address, due, actor, report)
    return report


def _send_all(store, config, from_address, due, actor, report: SendReport) -> None:
    try:
        conn = Connection(config).__enter__()
    except ServerUnusable as exc:
        _server_failed(store, due, exc, actor, report)
        return
    try:
        for n, message in enumerate(due):
            content = store.get(OutboxContent, message.id) or OutboxContent(id=message.id)
            now = clock.now()
            mail = build_email(
                message,
                content,
                sender_address=from_address,
                base_url=store.settings.base_url,
                now=now,
            )
            try:
                refused = conn.send(mail, from_address.addr_spec, message.to)
            except MessageRefused as exc:
                error = f"郵件伺服器拒收：{exc.code} {exc.text}"
                store.put(after_refusal(message, error, now), actor=actor, action="notify_failed")
                report.refused.append((message, f"{exc.code} {exc.text}"))
            except ServerUnusable as exc:
                _server_failed(store, due[n:], exc, actor, report)
                return
            else:
                store.put(after_sent(message, now, refused), actor=actor, action="notify_sent")
                report.sent.append(message)
    finally:
        conn.__exit__(None, None, None)


def _server_failed(store, messages, exc: ServerUnusable, actor, report: SendReport) -> None:
    now = clock.now()
    failed = [after_server_failure(m, exc.message_zh, now) for m in messages]
    store.put_many(failed, actor=actor, action="notify_failed")
    report.unsent.extend(messages)
    report.server_error = exc
