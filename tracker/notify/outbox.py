"""Outbox records: keys, what a run must still send, back-off, and each attempt's outcome.

A message's key names its recipient, its items with their reminder steps,
and its day; its id is a digest of the key, so the same message is queued
once.  Within a day an item already queued for a recipient is not queued for
it again: a second run the same day finds nothing new.

Back-off: a message the server refused is retried at the next run twice;
after that it waits 30 minutes, doubling with each refusal, at most a day.
A failure of the server itself (down, dropped connection, TLS or sign-in
refused) says nothing about the message and starts no back-off.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from tracker.domain.outbox import Delivery, MessageKind, OutboxContent, OutboxMessage
from tracker.domain.vendors import Agency, Vendor
from tracker.notify.addresses import agency_addresses, merged, vendor_addresses
from tracker.notify.drafts import Draft, item_key
from tracker.storage.store import Store

FREE_RETRIES = 2
BACKOFF_START = timedelta(minutes=30)
BACKOFF_CAP = timedelta(hours=24)
MAX_ERROR = 300


def message_key(draft: Draft) -> str:
    """``digest:vendor:v-a:2026-03-02:<items>`` — recipient, day and a digest of the items and steps."""
    items = "\n".join(sorted(item_key(it) for it in draft.items))
    digest = hashlib.sha256(items.encode()).hexdigest()[:16]
    who = "+".join(draft.audiences) + ":" + "+".join(draft.parties)
    if draft.kind is MessageKind.NOTICE:
        return f"notice:{draft.event}:{digest}"
    return f"digest:{who}:{draft.day.isoformat()}:{digest}"


def message_id(key: str) -> str:
    return "msg-" + hashlib.sha256(key.encode()).hexdigest()[:24]


def records(draft: Draft, now: datetime) -> tuple[OutboxMessage, OutboxContent]:
    """The two records of a queued draft (see :mod:`tracker.domain.outbox`)."""
    key = message_key(draft)
    ident = message_id(key)
    message = OutboxMessage(
        id=ident,
        key=key,
        kind=draft.kind,
        audiences=draft.audiences,
        parties=draft.parties,
        to=draft.to,
        subject=draft.subject,
        day=draft.day,
        created_at=now,
        item_count=len(draft.items),
        vendor_id=draft.vendor_id,
        agency_id=draft.agency_id,
        event=draft.event,
    )
    content = OutboxContent(
        id=ident,
        items=draft.items,
        names=draft.names,
        intro=draft.intro,
        details=draft.details,
        vendor_id=draft.vendor_id,
        agency_id=draft.agency_id,
    )
    return message, content


def uncovered(store: Store, drafts: Iterable[Draft]) -> list[Draft]:
    """The drafts less the items already queued the same day for the same party and role.

    A draft left with no item is dropped.  Notices are kept unless their id is
    already in the outbox.
    """
    drafts = list(drafts)
    days = {dr.day for dr in drafts if dr.kind is MessageKind.DIGEST}
    covered: dict[tuple, set[str]] = defaultdict(set)
    for msg in store.all(OutboxMessage):
        if msg.kind is MessageKind.DIGEST and msg.day in days:
            content = store.get(OutboxContent, msg.id)
            keys = {item_key(it) for it in content.items} if content else set()
            for party in msg.parties:
                covered[(msg.audiences, party, msg.day)] |= keys
    out = []
    for dr in drafts:
        if dr.kind is MessageKind.NOTICE:
            if store.get(OutboxMessage, message_id(message_key(dr))) is None:
                out.append(dr)
            continue
        done = set().union(*(covered[(dr.audiences, p, dr.day)] for p in dr.parties))
        items = tuple(it for it in dr.items if item_key(it) not in done)
        if items:
            out.append(replace(dr, items=items) if len(items) != len(dr.items) else dr)
    return out


def current_addresses(store: Store, message: OutboxMessage) -> tuple[str, ...]:
    """Where ``message`` goes today: its roles' addresses as its parties' records hold them now."""
    groups = []
    for party in message.parties:
        for audience in message.audiences:
            if audience == "vendor":
                vendor = store.get(Vendor, party)
                groups.append(vendor_addresses(vendor) if vendor else ())
            else:
                agency = store.get(Agency, party)
                groups.append(agency_addresses(agency, audience) if agency else ())
    return merged(*groups)


def readdressed(store: Store, message: OutboxMessage) -> OutboxMessage:
    """``message`` sent to its parties' current addresses (a corrected address is used on retry)."""
    to = current_addresses(store, message)
    return message if to == message.to else replace(message, to=to)


def is_due(message: OutboxMessage, now: datetime, *, ignore_backoff: bool = False) -> bool:
    """Still unsent, addressed, and past its back-off (unless ``ignore_backoff``)."""
    if message.state is not Delivery.PENDING or not message.to:
        return False
    return ignore_backoff or message.next_attempt_at is None or message.next_attempt_at <= now


def backoff(refusals: int) -> timedelta:
    """How long a message waits after its ``refusals``-th refusal."""
    if refusals <= FREE_RETRIES:
        return timedelta(0)
    return min(BACKOFF_START * 2 ** (refusals - FREE_RETRIES - 1), BACKOFF_CAP)


def after_sent(message: OutboxMessage, now: datetime, refused: Iterable[str] = ()) -> OutboxMessage:
    """Accepted by the server (for every recipient but ``refused``)."""
    refused = tuple(refused)
    note = f"伺服器拒收部分收件者：{', '.join(refused)}" if refused else ""
    return replace(
        message,
        state=Delivery.SENT,
        sent_at=now,
        last_attempt_at=now,
        next_attempt_at=None,
        last_error=note,
        refused_recipients=refused,
    )


def after_refusal(message: OutboxMessage, error: str, now: datetime) -> OutboxMessage:
    """The server answered this message with a refusal (4xx or 5xx): retried with back-off."""
    refusals = message.refusals + 1
    return replace(
        message,
        failures=message.failures + 1,
        refusals=refusals,
        last_error=error[:MAX_ERROR],
        last_attempt_at=now,
        next_attempt_at=now + backoff(refusals),
    )


def after_server_failure(message: OutboxMessage, error: str, now: datetime) -> OutboxMessage:
    """The server could not be used; the message itself was not judged, so no back-off starts."""
    return replace(
        message, failures=message.failures + 1, last_error=error[:MAX_ERROR], last_attempt_at=now
    )
