"""The outbox (寄件匣): reminders and notices, each kept with its key and delivery state.

A message is two records with the same id: :class:`OutboxMessage`, the
envelope and the delivery state, which changes on every attempt, and
:class:`OutboxContent`, what the message says, written once when the message
is queued.  Keeping them apart keeps the activity log small: an attempt logs
the small envelope, not the items again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class Audience(StrEnum):
    """Who a message is for; agency audiences read the agency's matching ``*_emails`` field."""

    VENDOR = "vendor"
    IT_OFFICE = "it_office"
    ACCOUNT_ADMIN = "account_admin"
    SECURITY_CONTACT = "security_contact"
    ETHICS_CONTACT = "ethics_contact"
    MANAGER = "manager"


class MessageKind(StrEnum):
    DIGEST = "digest"  # 到期提醒: a recipient's items of one day
    NOTICE = "notice"  # 通知: an event was recorded (incident 8.3, violation 7.3)


class Delivery(StrEnum):
    PENDING = "pending"  # not yet accepted by the server (``last_error`` says why, after a failure)
    SENT = "sent"  # the server accepted it; never sent again


@dataclass(frozen=True)
class OutboxMessage:
    """One e-mail's envelope and delivery state.

    ``id`` is derived from ``key`` (recipient, items, reminder steps, day), so
    queueing the same message twice finds the first.  ``audiences`` and
    ``parties`` (vendor or agency ids) say whose addresses ``to`` holds;
    ``vendor_id``/``agency_id`` name the partition.  ``event`` ties a notice
    to what caused it (``incident:<id>``, ``audit:<id>``), ``""`` for digests.
    ``failures`` counts every failed attempt; ``refusals`` only the server's
    answers refusing this message, which set ``next_attempt_at`` (back-off).
    """

    id: str
    key: str
    kind: MessageKind
    audiences: tuple[Audience, ...]
    parties: tuple[str, ...]
    to: tuple[str, ...]
    subject: str
    day: date
    created_at: datetime
    item_count: int = 0
    vendor_id: str | None = None
    agency_id: str | None = None
    event: str = ""
    state: Delivery = Delivery.PENDING
    failures: int = 0
    refusals: int = 0
    last_error: str = ""
    last_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    refused_recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutboxContent:
    """What a message says, written once: its items and, for a notice, the event's details.

    Each item is a plain dict with at least ``obligation_id``, ``subject_kind``,
    ``subject_id``, ``due`` (ISO date or ``None``) and ``status``, plus what the
    text shows (``title``, ``subject_label``, ``vendor_name``, ``reason``,
    ``step``, ``page``).  ``names`` are the recipients' names for the greeting;
    ``intro`` extra lines (a manager's counts); ``details`` (label, value)
    lines of a notice.
    """

    id: str
    items: tuple[dict, ...] = ()
    names: tuple[str, ...] = ()
    details: tuple[tuple[str, str], ...] = ()
    intro: str = ""
    vendor_id: str | None = None
    agency_id: str | None = None
