"""``notify run`` against real SMTP servers on 127.0.0.1: sent once, marked sent only when accepted."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest

from tracker.cli import main
from tracker.domain.outbox import Delivery, OutboxMessage
from tracker.notify.delivery import deliver
from tracker.notify.render import default_sender
from tracker.services.contacts import set_vendor_emails
from tracker.storage.store import Store

from .conftest import START, with_mail
from .mailserver import MailServer, SlamServer, server_context, unused_port

DAY = (START - timedelta(days=7)).isoformat()  # a Thursday with vendor, IT-office reminders


def notify(settings, capsys, *args) -> tuple[int, str, str]:
    code = main(["notify", "run", "--date", DAY, *args], settings=settings)
    out = capsys.readouterr()
    return code, out.out, out.err


def dry_run(settings, capsys) -> list[dict]:
    code, out, _ = notify(settings, capsys, "--dry-run", "--json")
    assert code == 0
    return json.loads(out)


def states(settings) -> dict[str, Delivery]:
    return {m.key: m.state for m in Store.open(settings).all(OutboxMessage)}


def log_actions(settings) -> list[str]:
    lines = (settings.data_dir / "activity-log.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["action"] for line in lines]


def envelope(listed: dict) -> tuple:
    return (listed["key"], tuple(sorted(listed["to"])), listed["subject"])


def received_envelopes(server: MailServer) -> list[tuple]:
    return [(r.key, tuple(sorted(r.rcpt_tos)), str(r.message["Subject"])) for r in server.received]


def test_one_run_sends_exactly_what_its_dry_run_listed_and_a_second_run_sends_nothing(
    world, settings, mail_server, capsys
):
    mailed = with_mail(settings, mail_server.url())
    listed = dry_run(mailed, capsys)
    assert len(listed) == 3 and states(mailed) == {}  # the dry run queued nothing
    code, out, err = notify(mailed, capsys, "--json")
    assert (code, err) == (0, "")
    assert sorted(received_envelopes(mail_server)) == sorted(envelope(m) for m in listed)
    assert [m["sent"] for m in json.loads(out)] == [True] * len(listed)
    assert set(states(mailed).values()) == {Delivery.SENT}
    assert log_actions(mailed).count("notify_sent") == len(listed)

    assert dry_run(mailed, capsys) == []
    code, out, _ = notify(mailed, capsys, "--json")
    assert (code, json.loads(out)) == (0, [])
    assert len(mail_server.received) == len(listed)


def test_a_run_against_a_down_server_marks_nothing_sent_and_the_next_run_sends_it_all(
    world, settings, start_server, capsys
):
    down = with_mail(settings, f"smtp://127.0.0.1:{unused_port()}?timeout=5")
    listed = dry_run(down, capsys)
    code, out, err = notify(down, capsys)
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and "無法連線至郵件伺服器" in err
    assert set(states(down).values()) == {Delivery.PENDING}
    assert log_actions(down).count("notify_failed") == len(listed)

    server = start_server()
    back = with_mail(settings, server.url())
    assert sorted(map(envelope, dry_run(back, capsys))) == sorted(map(envelope, listed))
    assert notify(back, capsys)[0] == 0
    assert sorted(received_envelopes(server)) == sorted(map(envelope, listed))
    assert notify(back, capsys)[0] == 0 and len(server.received) == len(listed)


def test_a_server_that_closes_the_connection_at_once_is_down_too(world, settings, capsys):
    slam = SlamServer()
    try:
        code, _, err = notify(with_mail(settings, f"smtp://127.0.0.1:{slam.port}"), capsys)
    finally:
        slam.stop()
    assert code == 1 and "中斷連線" in err and len(err.strip().splitlines()) == 1
    assert set(states(settings).values()) == {Delivery.PENDING}


def test_a_5xx_answer_to_every_recipient_leaves_every_message_pending_with_the_reason(
    world, settings, mail_server, capsys
):
    mail_server.recorder.rcpt_answer = "550 5.7.1 relaying denied"
    mailed = with_mail(settings, mail_server.url())
    listed = dry_run(mailed, capsys)
    code, _, err = notify(mailed, capsys)
    assert code == 1 and "550" in err and len(err.strip().splitlines()) == 1
    stored = Store.open(settings).all(OutboxMessage)
    assert {m.state for m in stored} == {Delivery.PENDING}
    assert all("550 5.7.1 relaying denied" in m.last_error and m.refusals == 1 for m in stored)
    assert mail_server.received == []

    mail_server.recorder.rcpt_answer = None  # the relay is fixed: the next run sends them
    assert notify(mailed, capsys)[0] == 0
    assert sorted(received_envelopes(mail_server)) == sorted(map(envelope, listed))


def test_a_4xx_answer_to_the_data_is_retried_by_the_next_run_and_sent_once(
    world, settings, mail_server, capsys
):
    mail_server.recorder.data_answer = "451 4.3.0 try again later"
    mailed = with_mail(settings, mail_server.url())
    listed = dry_run(mailed, capsys)
    assert notify(mailed, capsys)[0] == 1
    assert mail_server.recorder.data_attempts == len(listed) and mail_server.received == []
    mail_server.recorder.data_answer = None
    assert notify(mailed, capsys)[0] == 0
    assert notify(mailed, capsys)[0] == 0
    keys = [r.key for r in mail_server.received]
    assert sorted(keys) == sorted(m["key"] for m in listed) and len(set(keys)) == len(keys)


def test_a_connection_dropped_during_the_data_marks_nothing_sent(
    world, settings, mail_server, capsys
):
    mail_server.recorder.drop_at_data = True
    mailed = with_mail(settings, mail_server.url())
    code, _, err = notify(mailed, capsys)
    assert code == 1 and "中斷連線" in err
    assert set(states(mailed).values()) == {Delivery.PENDING}
    mail_server.recorder.drop_at_data = False
    assert notify(mailed, capsys)[0] == 0
    assert set(states(mailed).values()) == {Delivery.SENT}


def test_one_refused_message_does_not_stop_the_others_and_goes_to_the_corrected_address(
    world, settings, mail_server, capsys
):
    mail_server.recorder.refuse = {"b@lian.example.org"}
    mailed = with_mail(settings, mail_server.url())
    listed = dry_run(mailed, capsys)
    assert notify(mailed, capsys)[0] == 1
    refused = [m for m in Store.open(settings).all(OutboxMessage) if m.state is Delivery.PENDING]
    assert [m.to for m in refused] == [("b@lian.example.org",)]
    assert len(mail_server.received) == len(listed) - 1

    set_vendor_emails(world, "vendor.b", "v-b", "pm@lian.example.org")
    [retry] = dry_run(mailed, capsys)
    assert retry["to"] == ["pm@lian.example.org"]
    assert notify(mailed, capsys)[0] == 0
    assert mail_server.received[-1].rcpt_tos == ["pm@lian.example.org"]
    assert set(states(mailed).values()) == {Delivery.SENT}


def test_a_message_accepted_for_one_of_two_addresses_is_sent_and_says_which_was_refused(
    world, settings, mail_server, capsys
):
    mail_server.recorder.refuse = {"a2@beichen.example.org"}
    mailed = with_mail(settings, mail_server.url())
    assert notify(mailed, capsys)[0] == 0
    [vendor_a] = [m for m in Store.open(settings).all(OutboxMessage) if m.parties == ("v-a",)]
    assert vendor_a.state is Delivery.SENT
    assert vendor_a.refused_recipients == ("a2@beichen.example.org",)
    assert "a2@beichen.example.org" in vendor_a.last_error


def test_starttls_with_the_servers_self_signed_certificate_trusted(
    world, settings, starttls_server, tls_files, capsys
):
    mailed = with_mail(settings, starttls_server.url(cafile=tls_files[0]))
    listed = dry_run(mailed, capsys)
    assert notify(mailed, capsys)[0] == 0
    assert sorted(received_envelopes(starttls_server)) == sorted(map(envelope, listed))


def test_starttls_to_an_untrusted_certificate_sends_nothing(
    world, settings, starttls_server, capsys
):
    code, _, err = notify(with_mail(settings, starttls_server.url()), capsys)
    assert code == 1 and "TLS" in err
    assert starttls_server.received == [] and set(states(settings).values()) == {Delivery.PENDING}


def test_tls_from_the_first_byte_with_smtps(world, settings, start_server, tls_files, capsys):
    server = start_server(tls="implicit", context=server_context(*tls_files))
    mailed = with_mail(settings, server.url(cafile=tls_files[0]))
    assert server.url().startswith("smtps://")
    listed = dry_run(mailed, capsys)
    assert notify(mailed, capsys)[0] == 0 and len(server.received) == len(listed)


def test_sign_in_with_the_password_from_its_own_setting_over_starttls(
    world, settings, start_server, tls_files, capsys
):
    server = start_server(
        tls="starttls", context=server_context(*tls_files), users={"mailer": "s3cret pass"}
    )
    url = server.url(user="mailer", cafile=tls_files[0])
    assert notify(with_mail(settings, url, smtp_password="wrong"), capsys)[0] == 1
    assert server.received == [] and set(states(settings).values()) == {Delivery.PENDING}
    code, _, err = notify(with_mail(settings, url, smtp_password="s3cret pass"), capsys)
    assert (code, err) == (0, "")
    assert server.received and set(states(settings).values()) == {Delivery.SENT}


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_wrong_password_is_a_one_line_refusal(world, settings, start_server, capsys):
    server = start_server(users={"mailer": "right"})
    code, _, err = notify(with_mail(settings, server.url(user="mailer", password="nope")), capsys)
    assert code == 1 and "拒絕登入" in err and len(err.strip().splitlines()) == 1
    assert "nope" not in err


def test_a_password_is_never_sent_unencrypted_to_another_machine(world, settings, capsys):
    code, out, err = notify(with_mail(settings, "smtp://mailer:secret@mail.example.org:25"), capsys)
    assert code == 2 and "TLS" in err and "secret" not in err and out == ""
    assert states(settings) == {}


def test_without_a_mail_server_a_real_run_says_so_exits_2_and_writes_nothing(
    world, settings, capsys
):
    before = (settings.data_dir / "activity-log.jsonl").read_bytes()
    code, out, err = notify(settings, capsys, "--json")
    assert code == 2 and out == "" and "TRACKER_SMTP_URL" in err
    assert (settings.data_dir / "activity-log.jsonl").read_bytes() == before


def test_two_senders_at_once_send_each_message_once(world, settings, mail_server, capsys):
    mailed = with_mail(settings, mail_server.url())
    listed = dry_run(mailed, capsys)
    # queue them through a run whose server is down, then let two processes' worth of senders race
    down = with_mail(settings, f"smtp://127.0.0.1:{unused_port()}")
    assert notify(down, capsys)[0] == 1
    ids = [m.id for m in Store.open(settings).all(OutboxMessage)]
    threads = [
        threading.Thread(target=deliver, args=(Store.open(mailed), ids), kwargs={"actor": f"t{n}"})
        for n in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    keys = [r.key for r in mail_server.received]
    assert sorted(keys) == sorted(m["key"] for m in listed)


def test_without_a_sender_setting_the_mail_comes_from_this_hosts_tracker_address(
    world, settings, mail_server, capsys
):
    mailed = with_mail(settings, mail_server.url(), mail_from="")
    assert notify(mailed, capsys)[0] == 0
    assert {r.mail_from for r in mail_server.received} == {default_sender()}
    assert default_sender().startswith("nia-tracker@")


def test_a_sender_setting_that_is_no_address_is_a_setting_error(world, settings, capsys):
    code, _, err = notify(with_mail(settings, "smtp://127.0.0.1:25", mail_from="資訊室"), capsys)
    assert code == 2 and "TRACKER_MAIL_FROM" in err and states(settings) == {}
