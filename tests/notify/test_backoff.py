"""Back-off: a message the server keeps refusing is tried less and less often, at most daily."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from tracker.cli import main
from tracker.core import clock
from tracker.domain.outbox import Audience, MessageKind, OutboxMessage
from tracker.notify.outbox import after_refusal, after_server_failure, backoff, is_due
from tracker.services.notifications import send_pending_now
from tracker.storage.store import Store

from .conftest import START, with_mail

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=clock.TAIPEI)


def message() -> OutboxMessage:
    return OutboxMessage(
        id="msg-1",
        key="digest:vendor:v-a:2026-03-02:0",
        kind=MessageKind.DIGEST,
        audiences=(Audience.VENDOR,),
        parties=("v-a",),
        to=("a@example.org",),
        subject="s",
        day=NOW.date(),
        created_at=NOW,
        vendor_id="v-a",
    )


def test_the_wait_after_each_refusal_doubles_from_the_third_and_stops_at_a_day():
    waits = [backoff(n) for n in range(1, 10)]
    assert waits[:2] == [timedelta(0), timedelta(0)]
    assert waits[2:6] == [timedelta(minutes=m) for m in (30, 60, 120, 240)]
    assert waits[-1] == timedelta(hours=24) and max(waits) == timedelta(hours=24)


def test_a_refused_message_is_due_again_only_after_its_wait():
    m = message()
    for _ in range(3):
        m = after_refusal(m, "550 no", NOW)
    assert not is_due(m, NOW + timedelta(minutes=29))
    assert is_due(m, NOW + timedelta(minutes=30))
    assert is_due(m, NOW, ignore_backoff=True)


def test_a_server_failure_counts_as_a_failure_but_starts_no_wait():
    m = message()
    for _ in range(5):
        m = after_server_failure(m, "down", NOW)
    assert (m.failures, m.refusals) == (5, 0) and is_due(m, NOW)


def test_after_three_refusals_the_next_run_leaves_it_and_the_outbox_button_sends_it(
    world, settings, mail_server, capsys
):
    mail_server.recorder.data_answer = "554 5.6.0 content rejected"
    mailed = with_mail(settings, mail_server.url())
    args = ["notify", "run", "--date", (START - timedelta(days=7)).isoformat()]
    for _ in range(3):
        assert main(args, settings=mailed) == 1
    attempts = mail_server.recorder.data_attempts
    capsys.readouterr()
    assert main([*args, "--dry-run", "--json"], settings=mailed) == 0
    assert json.loads(capsys.readouterr().out) == []  # all waiting
    assert main(args, settings=mailed) == 0
    assert "稍後重試" in capsys.readouterr().out
    assert mail_server.recorder.data_attempts == attempts  # the server was not asked again
    mail_server.recorder.data_answer = None
    report = send_pending_now(Store.open(mailed), actor="it.office")
    assert report.ok and len(mail_server.received) == len(report.sent) == attempts // 3
