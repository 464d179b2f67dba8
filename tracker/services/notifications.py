"""Reminders and notices: the morning run, sending at once, and what the outbox page shows.

:func:`plan_run` works out what a run on a day would send — the day's new
digests (tracker.notify.digests, from the status engine) and the queued
messages still due — without writing anything.  :func:`run` queues the new
digests in one logged change and sends everything planned
(tracker.notify.delivery).  The web app calls :func:`send_event_notices`
right after recording an incident or a violation, and :func:`send_pending_now`
from the outbox page; neither needs a scheduler thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from tracker.compliance.loader import default_catalogue
from tracker.core import clock
from tracker.core.errors import TrackerError
from tracker.domain.outbox import Audience, Delivery, OutboxContent, OutboxMessage
from tracker.notify.delivery import SendReport, deliver, mail_settings
from tracker.notify.digests import compose_digests
from tracker.notify.outbox import is_due, readdressed, records, uncovered
from tracker.notify.render import text_body
from tracker.services.compliance import compliance_report
from tracker.storage.store import Store

CONTRACT_KEYS = ("obligation_id", "subject_kind", "subject_id", "due", "status")
WEB_LOCK_TIMEOUT = 10.0  # a page waits this long for another sender, then leaves it queued


@dataclass
class Plan:
    """What a run on ``day`` sends: ``messages`` in order (``new`` ids are queued by the run)."""

    day: date
    messages: list[tuple[OutboxMessage, OutboxContent]] = field(default_factory=list)
    new: set[str] = field(default_factory=set)
    changed: list[OutboxMessage] = field(default_factory=list)  # readdressed queued messages
    unreachable: list[tuple[Audience, str, int]] = field(default_factory=list)
    waiting: list[OutboxMessage] = field(default_factory=list)  # queued, not due this run


@dataclass
class RunResult:
    plan: Plan
    report: SendReport | None = None  # None for a dry run


def plan_run(store: Store, day: date, now: datetime | None = None) -> Plan:
    """Everything a run on ``day`` would send now, oldest queued first; writes nothing."""
    now = now or clock.now()
    report = compliance_report(store, day)
    composition = compose_digests(report.rows, store.facts(), default_catalogue(), day)
    plan = Plan(day=day, unreachable=composition.unreachable)
    pending = sorted(
        (m for m in store.all(OutboxMessage) if m.state is Delivery.PENDING),
        key=lambda m: (m.created_at, m.id),
    )
    for message in pending:
        current = readdressed(store, message)
        if current is not message:
            plan.changed.append(current)
        if is_due(current, now):
            content = store.get(OutboxContent, current.id) or OutboxContent(id=current.id)
            plan.messages.append((current, content))
        else:
            plan.waiting.append(current)
    for draft in uncovered(store, composition.drafts):
        message, content = records(draft, now)
        plan.messages.append((message, content))
        plan.new.add(message.id)
    return plan


def as_json(plan: Plan, report: SendReport | None = None) -> list[dict]:
    """The ``--json`` array: ``to``, ``subject``, ``items`` (the contract's five keys and
    ``step``), plus ``key``, ``kind``, ``audiences`` and, after a real run, ``sent``/``error``."""
    sent = {m.id for m in report.sent} if report else set()
    errors = _errors(report)
    out = []
    for message, content in plan.messages:
        entry = {
            "to": list(message.to),
            "subject": message.subject,
            "items": [
                {**{k: it.get(k) for k in CONTRACT_KEYS}, "step": it.get("step")}
                for it in content.items
            ],
            "key": message.key,
            "kind": str(message.kind),
            "audiences": [str(a) for a in message.audiences],
        }
        if report is not None:
            entry["sent"] = message.id in sent
            entry["error"] = errors.get(message.id, "")
        out.append(entry)
    return out


def _errors(report: SendReport | None) -> dict[str, str]:
    if report is None:
        return {}
    errors = {m.id: reason for m, reason in report.refused}
    if report.server_error is not None:
        errors |= {m.id: report.server_error.message_zh for m in report.unsent}
    return errors


def run(store: Store, day: date, *, dry_run: bool = False, actor: str = "cli") -> RunResult:
    """The morning run for ``day``: queue its digests, send what is due.

    A dry run writes nothing.  A real run raises MailNotConfigured (nothing
    written) without a mail server or sender, then queues the new digests and
    readdressed messages in one logged change and sends; the returned report
    says what went and what did not.
    """
    plan = plan_run(store, day)
    if dry_run:
        return RunResult(plan)
    mail_settings(store.settings)
    _queue(store, plan, actor)
    ids = [m.id for m, _ in plan.messages]
    return RunResult(plan, deliver(store, ids, actor=actor) if ids else SendReport())


def _queue(store: Store, plan: Plan, actor: str) -> None:
    with store.locked():  # re-checked under the lock: another run may have queued the same ids
        writes: list = []
        for message, content in plan.messages:
            if message.id in plan.new and store.get(OutboxMessage, message.id) is None:
                writes += [message, content]
        for message in plan.changed:
            stored = store.get(OutboxMessage, message.id)
            if stored is not None and stored.state is Delivery.PENDING:
                writes.append(replace(stored, to=message.to))
        if writes:
            store.put_many(writes, actor=actor, action="notify_queued")


def send_event_notices(store: Store, event: str, *, actor: str) -> SendReport | None:
    """Send the queued notices of ``event`` (``incident:<id>``, ``audit:<id>``) now.

    ``None`` when no mail server is configured (they stay queued for the next
    run).  Waits at most a few seconds for another sender.
    """
    try:
        mail_settings(store.settings)
    except TrackerError:  # not configured, or badly: they stay queued and the run says why
        return None
    ids = [
        m.id for m in store.all(OutboxMessage) if m.event == event and m.state is Delivery.PENDING
    ]
    if not ids:
        return SendReport()
    return deliver(store, ids, actor=actor, lock_timeout=WEB_LOCK_TIMEOUT)


def send_pending_now(store: Store, *, actor: str) -> SendReport:
    """The outbox page's button: every queued message, to current addresses, back-off ignored.

    Raises MailNotConfigured without a mail server; composes no new digest.
    """
    mail_settings(store.settings)
    pending = [m for m in store.all(OutboxMessage) if m.state is Delivery.PENDING]
    changed = [r for p in pending if (r := readdressed(store, p)) is not p]
    if changed:
        with store.locked():
            store.put_many(changed, actor=actor, action="notify_queued")
    ids = [m.id for m in sorted(pending, key=lambda m: (m.created_at, m.id))]
    return deliver(store, ids, actor=actor, ignore_backoff=True, lock_timeout=WEB_LOCK_TIMEOUT)


def outbox(store: Store) -> list[OutboxMessage]:
    """Every message, newest first."""
    return sorted(store.all(OutboxMessage), key=lambda m: (m.created_at, m.id), reverse=True)


def message_text(store: Store, message: OutboxMessage) -> str:
    """The plain-text body of ``message`` as it is (or was) sent."""
    content = store.get(OutboxContent, message.id) or OutboxContent(id=message.id)
    return text_body(message, content, store.settings.base_url if store.settings else "")
