"""Notices: queued with the event in one logged change, sent by the next run or at once, once."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from tracker.cli import main
from tracker.core import clock
from tracker.domain.audits import SampledRecord, SelfAudit
from tracker.domain.outbox import Delivery, MessageKind, OutboxContent, OutboxMessage
from tracker.notify.render import text_body
from tracker.services import audit_findings, incidents
from tracker.services import vendors as v
from tracker.services.contacts import set_agency_addresses
from tracker.services.notifications import plan_run, send_event_notices
from tracker.storage.store import Store

from .conftest import ACTOR, BASE_URL, with_mail


def notices(store) -> list[OutboxMessage]:
    return [m for m in store.all(OutboxMessage) if m.kind is MessageKind.NOTICE]


def last_log_lines(settings, n: int) -> list[dict]:
    lines = (settings.data_dir / "activity-log.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[-n:]]


def report(store, **kw):
    known = kw.pop("known_at", clock.now() - timedelta(minutes=20))
    return incidents.report_incident(
        store, "vendor.a", vendor_id="v-a", summary="主機異常登入", known_at=known, **kw
    )


def test_an_incident_report_queues_its_notice_in_the_same_logged_change(world, settings):
    incident = report(world, contract_id="c-a", measures="封鎖來源 IP")
    [notice] = notices(world)
    assert notice.event == f"incident:{incident.id}" and notice.state is Delivery.PENDING
    assert notice.to == ("it@sw.example.org", "security@sw.example.org")
    lines = last_log_lines(settings, 3)
    assert {line["collection"] for line in lines} == {"incidents", "outbox", "outbox_contents"}
    assert {line["action"] for line in lines} == {"incident_reported"}
    assert len({line["at"] for line in lines}) == 1


def test_the_incident_notice_says_when_the_agencys_own_report_falls_due(world):
    reported = datetime(2026, 3, 2, 9, 40, tzinfo=clock.TAIPEI)
    incident = report(
        world, contract_id="c-a", known_at=reported - timedelta(minutes=30), reported_at=reported
    )
    [notice] = notices(world)
    content = world.require(OutboxContent, notice.id)
    [item] = content.items
    assert (item["obligation_id"], item["subject_kind"], item["subject_id"]) == (
        "8.3",
        "incident",
        incident.id,
    )
    assert item["due"] == "2026-03-02" and item["due_at"] == "2026-03-02T10:40+08:00"
    text = text_body(notice, content, BASE_URL)
    assert "機關通報期限：民國 115 年 3 月 2 日 10:40 前" in text
    assert "廠商知悉時間：民國 115 年 3 月 2 日 09:10" in text
    assert "臺北市政府社會局 資訊室、資安聯絡人 您好" in text
    assert notice.subject == "【移民資訊合規】資安事件通報：北辰資訊股份有限公司「主機異常登入」"


def test_an_incident_without_a_contract_goes_to_the_agencies_of_the_vendors_current_contracts(
    world,
):
    v.save_contract(
        world,
        ACTOR,
        vendor_id="v-a",
        agency_id="ag-dv",
        title="另一案",
        start=date(2020, 1, 1),
        end=date(2099, 1, 1),
    )
    report(world)
    [notice] = notices(world)
    assert notice.parties == ("ag-dv", "ag-sw")
    assert set(notice.to) == {
        "IT@sw.example.org",
        "security@dv.example.org",
        "security@sw.example.org",
    }  # the shared IT mailbox once


def test_the_next_run_sends_a_queued_notice_and_no_run_sends_it_again(
    world, settings, mail_server, capsys
):
    incident = report(world, contract_id="c-a")
    mailed = with_mail(settings, mail_server.url())
    for _ in range(2):
        assert main(["notify", "run"], settings=mailed) in (0,)
    capsys.readouterr()
    received = [r for r in mail_server.received if r.key.startswith("notice:")]
    assert len(received) == 1
    assert sorted(received[0].rcpt_tos) == ["it@sw.example.org", "security@sw.example.org"]
    assert incident.summary in received[0].message.get_body(("plain",)).get_content()


def test_sending_an_events_notice_at_once_sends_only_that_events(world, settings, mail_server):
    first = report(world, contract_id="c-a")
    second = report(world, contract_id="c-a")
    store = Store.open(with_mail(settings, mail_server.url()))
    outcome = send_event_notices(store, f"incident:{second.id}", actor="vendor.a")
    assert outcome.ok and len(outcome.sent) == 1
    assert [r.key for r in mail_server.received] == [
        m.key for m in notices(store) if m.event == f"incident:{second.id}"
    ]
    assert {m.event: m.state for m in notices(store)}[f"incident:{first.id}"] is Delivery.PENDING


def test_without_a_mail_server_the_notice_waits_and_nothing_fails(world):
    incident = report(world, contract_id="c-a")
    assert send_event_notices(world, f"incident:{incident.id}", actor="vendor.a") is None
    assert [m.state for m in notices(world)] == [Delivery.PENDING]


def audit_with_records(store, n: int = 3) -> tuple[SelfAudit, list[SampledRecord]]:
    audit = SelfAudit("au-1", "ag-sw", date(2026, 1, 1), date(2026, 6, 30), population=n)
    records = [
        SampledRecord(
            id=f"au-1-{k:05d}",
            audit_id="au-1",
            agency_id="ag-sw",
            line=k + 1,
            queried_at=datetime(2026, 2, 3, 10, k),
            account=f"sw{k:03d}",
            query_type="國人入出國資訊",
            subject_id="A12****789",
        )
        for k in range(n)
    ]
    store.put_many([audit, *records], actor=ACTOR, action="audit_opened")
    return audit, records


def test_a_not_legitimate_finding_queues_a_notice_to_the_ethics_unit_and_the_it_office(world):
    audit, records = audit_with_records(world)
    audit_findings.record_findings(
        world,
        "admin",
        [
            (records[0].id, "legitimate", "", "SW-1"),
            (records[1].id, "not_legitimate", "查詢 A123456789 非承辦個案", ""),
        ],
    )
    [notice] = notices(world)
    assert notice.event == "audit:au-1"
    assert notice.to == ("ethics@sw.example.org", "it@sw.example.org")
    content = world.require(OutboxContent, notice.id)
    [item] = content.items
    assert (item["obligation_id"], item["subject_kind"], item["subject_id"]) == (
        "7.3",
        "audit",
        "au-1",
    )
    assert item["record_id"] == records[1].id and item["status"] == "due_soon"
    assert "A123456789" not in item["note"] and "A12****789" in item["note"]  # masked
    assert "第 2 行" in item["subject_label"]


def test_a_record_is_named_in_one_notice_only_however_its_finding_changes(world):
    audit, records = audit_with_records(world)
    bad = (records[0].id, "not_legitimate", "非承辦個案", "")
    audit_findings.record_findings(world, "admin", [bad])
    audit_findings.record_findings(world, "admin", [(records[0].id, "unclear", "再查", "")])
    audit_findings.record_findings(world, "admin", [bad])
    assert len(notices(world)) == 1
    audit_findings.record_findings(
        world, "admin", [bad, (records[2].id, "not_legitimate", "非承辦個案", "")]
    )
    second = [m for m in notices(world) if m.item_count == 1 and m.created_at]
    named = [[it["record_id"] for it in world.require(OutboxContent, m.id).items] for m in second]
    assert sorted(named) == sorted([[records[0].id], [records[2].id]])


def test_a_notice_with_no_address_yet_waits_and_goes_once_one_is_entered(world, settings):
    set_agency_addresses(world, ACTOR, "ag-sw", it_office="", security_contact="")
    report(world, contract_id="c-a")
    [notice] = notices(world)
    assert notice.to == ()
    assert not [m for m, _ in plan_run(world, clock.today()).messages if m.id == notice.id]
    set_agency_addresses(world, ACTOR, "ag-sw", security_contact="soc@sw.example.org")
    [planned] = [m for m, _ in plan_run(world, clock.today()).messages if m.id == notice.id]
    assert planned.to == ("soc@sw.example.org",)


def test_a_national_id_typed_into_an_incident_is_masked_in_the_notice(world):
    report(world, contract_id="c-a", measures="已通知 A123456789 本人")
    [notice] = notices(world)
    text = text_body(notice, world.require(OutboxContent, notice.id), BASE_URL)
    assert "A123456789" not in text and "A12****789" in text
