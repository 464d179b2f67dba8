"""Who hears what on which day: the digests a run would send, for many days (nothing is sent)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tracker.core import clock
from tracker.domain.accounts import NiaAccount
from tracker.domain.audits import SelfAudit
from tracker.domain.enums import ReviewState, SubjectKind
from tracker.domain.evidence import Evidence
from tracker.domain.outbox import Audience
from tracker.services.contacts import set_vendor_emails
from tracker.services.notifications import plan_run

from .conftest import ACTOR, START


def messages(store, day, audience=None):
    plan = plan_run(store, day)
    return [(m, c) for m, c in plan.messages if audience is None or audience in m.audiences]


def steps_for(store, day, party, subject_id, audience=Audience.VENDOR) -> set[tuple[str, str]]:
    """(obligation, step) of the subject's items in the party's digest of ``day``."""
    out = set()
    for m, c in messages(store, day, audience):
        if party in m.parties:
            out |= {
                (it["obligation_id"], it["step"])
                for it in c.items
                if it["subject_id"] == subject_id
            }
    return out


def test_a_vendor_hears_of_an_item_exactly_30_7_and_1_days_before_it_falls_due(world):
    for days_before in range(-20, 41):
        day = START - timedelta(days=days_before)
        steps = {s for _, s in steps_for(world, day, "v-a", "s-a1")}
        if days_before in (30, 7, 1):
            expected = {f"due_{days_before}"}
        elif days_before == -1:
            expected = {"overdue_new"}
        elif days_before < -1 and day.weekday() == 0:
            expected = {"overdue_weekly"}
        else:
            expected = set()
        assert steps == expected, (day, days_before, steps)


def test_the_items_of_a_reminder_carry_the_staff_members_three_obligations_and_their_due_date(
    world,
):
    [(message, content)] = [
        (m, c) for m, c in messages(world, START - timedelta(days=7)) if m.parties == ("v-a",)
    ]
    mine = [it for it in content.items if it["subject_id"] == "s-a1"]
    assert {it["obligation_id"] for it in mine} == {"8.1", "8.6", "8.8"}
    assert {(it["due"], it["status"], it["subject_kind"]) for it in mine} == {
        (START.isoformat(), "missing", "vendor_staff")
    }
    assert message.to == ("a1@beichen.example.org", "a2@beichen.example.org")


def test_overdue_items_come_on_the_first_overdue_day_and_every_monday_only(world):
    # the contract's own obligations fell due on 2026-01-01 (8.4: 30 days later) and are overdue
    mondays = 0
    for offset in range(0, 45):
        day = date(2026, 1, 1) + timedelta(days=offset)
        for _m, c in messages(world, day, Audience.VENDOR):
            for it in (it for it in c.items if it["subject_id"] == "c-a"):
                due = date.fromisoformat(it["due"])
                if (
                    it["status"] != "overdue"
                ):  # 8.4 is due on 2026-01-31: reminded 30, 7, 1 days before
                    assert (due - day).days in (30, 7, 1) and it[
                        "step"
                    ] == f"due_{(due - day).days}"
                    continue
                assert due < day
                if day == due + timedelta(days=1):
                    assert it["step"] == "overdue_new", (day, it)
                else:
                    assert it["step"] == "overdue_weekly" and day.weekday() == 0, (day, it)
        steps = steps_for(world, day, "v-a", "c-a")
        if day.weekday() == 0:
            mondays += 1
            assert {s for _, s in steps} == {"overdue_weekly"}, day
    assert mondays == 6
    assert steps_for(world, date(2026, 1, 2), "v-a", "c-a") == {
        ("8.5", "overdue_new"),
        ("8.7", "overdue_new"),
        ("8.9", "overdue_new"),
        ("8.12", "overdue_new"),
    }
    assert steps_for(world, date(2026, 2, 1), "v-a", "c-a") == {("8.4", "overdue_new")}
    assert steps_for(world, date(2026, 1, 3), "v-a", "c-a") == set()


def test_a_recipient_with_nothing_that_day_gets_no_message(world):
    day = START - timedelta(days=12)  # a Monday is 2026-02-23; this is 2026-02-21, a Saturday
    assert day.weekday() == 5
    vendor_messages = [m for m, _ in messages(world, day) if Audience.VENDOR in m.audiences]
    assert vendor_messages == []


def test_a_vendor_without_an_address_gets_nothing_but_is_named_and_its_items_reach_the_it_office(
    world,
):
    day = START - timedelta(days=7)
    plan = plan_run(world, day)
    assert not [m for m, _ in plan.messages if "v-c" in m.parties]
    assert (Audience.VENDOR, "青禾數位科技股份有限公司", 3) in plan.unreachable
    it_items = [it for m, c in plan.messages if Audience.IT_OFFICE in m.audiences for it in c.items]
    assert any(it["vendor_name"] == "青禾數位科技股份有限公司" for it in it_items)


def test_agencies_whose_it_office_shares_one_mailbox_send_it_one_daily_digest(world):
    for day in (START - timedelta(days=7), START + timedelta(days=3)):
        it_office = [(m, c) for m, c in messages(world, day, Audience.IT_OFFICE)]
        assert len(it_office) == 1
        message, content = it_office[0]
        assert message.parties == ("ag-sw", "ag-dv")  # 本局 first
        assert {it["vendor_name"] for it in content.items} == {
            "北辰資訊股份有限公司",
            "立安系統整合有限公司",
            "青禾數位科技股份有限公司",
        }
        assert {it["step"] for it in content.items} == {"overdue_daily"}


def test_evidence_waiting_for_review_goes_to_the_it_office_not_to_the_vendor(world):
    world.put(
        Evidence(
            id="ev-1",
            obligation_id="8.8",
            subject_kind=SubjectKind.VENDOR_STAFF,
            subject_id="s-a1",
            kind="staff_pledge",
            sha256="0" * 64,
            filename="切結書.pdf",
            uploaded_by="vendor.a",
            uploaded_at=clock.now(),
            vendor_id="v-a",
            state=ReviewState.SUBMITTED,
        ),
        actor=ACTOR,
        action="evidence_uploaded",
    )
    day = START - timedelta(days=7)
    # the pledge proves 8.6 and 8.8; the suitability check (8.1) is still the vendor's to do
    assert steps_for(world, day, "v-a", "s-a1") == {("8.1", "due_7")}
    assert steps_for(world, day, "ag-sw", "s-a1", Audience.IT_OFFICE) == {
        ("8.6", "review"),
        ("8.8", "review"),
    }


def test_managers_hear_every_monday_with_the_agencys_counts_and_not_on_other_days(world):
    monday = date(2026, 3, 9)
    [(message, content)] = [
        (m, c) for m, c in messages(world, monday, Audience.MANAGER) if m.parties == ("ag-sw",)
    ]
    assert message.to == ("boss@sw.example.org",)
    assert "達成率" in content.intro and "臺北市政府社會局" in content.intro
    assert {it["status"] for it in content.items} <= {"overdue", "expired"}
    for day in (monday + timedelta(days=n) for n in range(1, 7)):
        assert messages(world, day, Audience.MANAGER) == []


def test_the_account_manager_hears_daily_of_an_account_awaiting_removal(world):
    left = date(2026, 4, 1)
    world.put(
        NiaAccount(
            id="na-1",
            agency_id="ag-dv",
            holder="陳怡君",
            unit="保護服務科",
            state="active",
            legal_basis="domestic_violence_act",
            business="保護個案",
            channels=("online_service",),
            active_from=date(2025, 1, 1),
            holder_left_on=left,
            removal_due=left + timedelta(days=3),
        ),
        actor=ACTOR,
        action="nia_account_registered",
    )
    for day in (left, left + timedelta(days=2), left + timedelta(days=9)):
        assert ("5.3", "removal") in steps_for(world, day, "ag-dv", "na-1", Audience.ACCOUNT_ADMIN)
    assert (
        steps_for(world, left - timedelta(days=1), "ag-dv", "na-1", Audience.ACCOUNT_ADMIN) == set()
    )


def test_the_self_audit_schedule_reminds_30_7_and_1_days_before_30_june_then_as_overdue(world):
    expected = {
        date(2026, 5, 31): "due_30",
        date(2026, 6, 23): "due_7",
        date(2026, 6, 29): "due_1",
        date(2026, 7, 1): "overdue_new",
        date(2026, 7, 6): "overdue_weekly",  # a Monday
    }
    for offset in range(0, 50):
        day = date(2026, 5, 25) + timedelta(days=offset)
        steps = {s for o, s in steps_for(world, day, "ag-dv", "ag-dv", Audience.ACCOUNT_ADMIN)}
        want = (
            {expected[day]}
            if day in expected
            else ({"overdue_weekly"} if day > date(2026, 7, 1) and day.weekday() == 0 else set())
        )
        assert steps == want, day


def test_the_second_half_year_deadline_is_reminded_after_the_first_audit_is_closed(world):
    world.put(
        SelfAudit(
            "au-1", "ag-sw", date(2026, 1, 1), date(2026, 6, 30), closed_on=date(2026, 6, 20)
        ),
        actor=ACTOR,
        action="audit_closed",
    )
    assert ("7.2", "due_30") in steps_for(
        world, date(2026, 12, 1), "ag-sw", "ag-sw", Audience.ACCOUNT_ADMIN
    )
    assert ("7.2", "due_1") in steps_for(
        world, date(2026, 12, 30), "ag-sw", "ag-sw", Audience.ACCOUNT_ADMIN
    )


def test_no_self_audit_reminder_while_one_is_open(world):
    world.put(
        SelfAudit(
            "au-open",
            "ag-dv",
            date(2026, 1, 1),
            date(2026, 5, 31),
            opened_at=datetime(2026, 5, 30, 9, tzinfo=clock.TAIPEI),
        ),
        actor=ACTOR,
        action="audit_opened",
    )
    for day in (date(2026, 5, 31), date(2026, 6, 23), date(2026, 7, 1)):
        assert steps_for(world, day, "ag-dv", "ag-dv", Audience.ACCOUNT_ADMIN) == set()
    assert ("7.2", "due_30") in steps_for(
        world, date(2026, 5, 31), "ag-sw", "ag-sw", Audience.ACCOUNT_ADMIN
    )


def test_a_vendors_digest_never_holds_another_vendors_items(world):
    owners = {"s-a1": "v-a", "c-a": "v-a", "s-b1": "v-b", "c-b": "v-b", "s-c1": "v-c", "c-c": "v-c"}
    for offset in range(0, 80, 3):
        day = date(2026, 1, 1) + timedelta(days=offset)
        for m, c in messages(world, day, Audience.VENDOR):
            assert {owners[it["subject_id"]] for it in c.items} == set(m.parties)


def test_a_vendor_that_clears_its_addresses_is_no_longer_reminded(world):
    set_vendor_emails(world, "vendor.a", "v-a", "")
    day = START - timedelta(days=7)
    assert not [m for m, _ in messages(world, day) if "v-a" in m.parties]
