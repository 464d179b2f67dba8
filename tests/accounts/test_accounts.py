"""The accounts register: the application flow, refusals, departures, IP addresses, proxies (points 四–六)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tracker.compliance.loader import default_catalogue
from tracker.compliance.status import evaluate
from tracker.core import clock
from tracker.core.errors import InvalidInput, NotAllowed
from tracker.domain.accounts import NiaAccount
from tracker.domain.enums import Status
from tracker.domain.vendors import Agency
from tracker.services import (
    account_application,
    account_changes,
    account_departure,
    account_register,
)

from .conftest import (
    ACTOR,
    AGENCY_ID,
    HEAD,
    HOLDER_ID,
    activate,
    draft,
    national_id,
)


def status_of(store, obligation: str, subject_id: str):
    rows = [
        r
        for r in evaluate(default_catalogue(), store.facts(), clock.today())
        if r.obligation_id == obligation and r.subject_id == subject_id
    ]
    assert len(rows) == 1
    return rows[0]


def test_an_application_passes_draft_first_review_second_review_and_nia_confirmation(store):
    today = clock.today()
    account = activate(store, today - timedelta(days=1))
    assert account.state == "active"
    assert account.first_reviewed_by == "科長 王大明"
    assert account.second_reviewed_by == ACTOR
    assert account.active_from == today - timedelta(days=1)
    steps = account_register.account_steps(store, account.id)
    assert [s.step for s in steps] == [
        "drafted",
        "submitted",
        "first_review",
        "second_review",
        "nia_confirmed",
    ]
    assert (
        steps[2].by == "科長 王大明" and steps[2].actor == HEAD and steps[2].decision == "approved"
    )


def test_the_register_keeps_only_the_masked_national_id(store):
    account = draft(store)
    stored = store.get(NiaAccount, account.id)
    assert stored.holder_id_masked.count("*") == 4
    assert not any(c.isdigit() for c in stored.holder_id_masked[3:7])


def test_a_legal_basis_not_listed_in_point_3_is_refused(store):
    with pytest.raises(InvalidInput, match="第三點"):
        draft(store, legal_basis="immigration_act")


def test_a_query_channel_not_listed_in_point_3_is_refused(store):
    with pytest.raises(InvalidInput, match="查詢方式"):
        draft(store, channels=["email"])
    with pytest.raises(InvalidInput):
        draft(store, channels=[])


def test_a_national_id_with_a_wrong_check_digit_is_refused(store):
    wrong = HOLDER_ID[:-1] + str((int(HOLDER_ID[-1]) + 1) % 10)
    with pytest.raises(InvalidInput, match="檢查碼"):
        draft(store, national=wrong)


def test_a_rejection_without_a_reason_is_refused_and_changes_nothing(store):
    account = draft(store)
    account_application.submit_account(store, "user.chen", account.id)
    with pytest.raises(InvalidInput, match="退件理由"):
        account_application.first_review(
            store, ACTOR, account.id, approve=False, reviewer="科長 王大明"
        )
    assert store.get(NiaAccount, account.id).state == "first_review"


def test_a_rejection_with_a_reason_ends_the_application(store):
    account = draft(store)
    account_application.submit_account(store, "user.chen", account.id)
    rejected = account_application.first_review(
        store, ACTOR, account.id, approve=False, reviewer="科長 王大明", reason="業務無查詢需求"
    )
    assert rejected.state == "rejected" and rejected.rejection_reason == "業務無查詢需求"
    assert account_register.account_steps(store, account.id)[-1].decision == "rejected"
    with pytest.raises(NotAllowed):
        account_application.second_review(store, ACTOR, account.id, approve=True)


def test_steps_out_of_order_are_refused(store):
    account = draft(store)
    with pytest.raises(NotAllowed, match="無法進行此步驟"):
        account_application.second_review(store, ACTOR, account.id, approve=True)
    with pytest.raises(NotAllowed):
        account_application.confirm_active(store, ACTOR, account.id, clock.today())
    account_application.submit_account(store, "user.chen", account.id)
    with pytest.raises(NotAllowed):
        account_application.submit_account(store, "user.chen", account.id)


def test_the_holder_may_not_review_their_own_application(store):
    account = draft(store)
    account_application.submit_account(store, "user.chen", account.id)
    with pytest.raises(NotAllowed, match="申請人本人"):
        account_application.first_review(store, ACTOR, account.id, approve=True, reviewer="陳怡君")


def test_a_departure_sets_the_removal_deadline_and_the_engine_reports_it_overdue(store):
    today = clock.today()
    account = activate(store, today - timedelta(days=100))
    left = account_departure.record_holder_left(
        store, ACTOR, account.id, left_on=today - timedelta(days=5), reason="resigned"
    )
    assert left.removal_due == today - timedelta(days=2)
    assert account_departure.removal_overdue(left, today)
    row = status_of(store, "5.3", account.id)
    assert row.status == Status.OVERDUE and row.due == left.removal_due


def test_a_cancellation_within_the_deadline_makes_5_3_compliant(store):
    today = clock.today()
    account = activate(store, today - timedelta(days=100))
    account_departure.record_holder_left(
        store, ACTOR, account.id, left_on=today - timedelta(days=2), reason="transferred"
    )
    assert status_of(store, "5.3", account.id).status == Status.DUE_SOON
    cancelled = account_departure.cancel_account(
        store, ACTOR, account.id, removed_on=today, reason="職務調動"
    )
    assert cancelled.state == "cancelled" and not account_departure.removal_overdue(
        cancelled, today
    )
    assert status_of(store, "5.3", account.id).status == Status.COMPLIANT


def test_an_unknown_departure_reason_is_refused(store):
    account = activate(store, clock.today())
    with pytest.raises(InvalidInput):
        account_departure.record_holder_left(
            store, ACTOR, account.id, left_on=clock.today(), reason="vacation"
        )


def test_ip_changes_are_kept_with_who_and_the_old_and_new_addresses(store):
    account = activate(store, clock.today())
    account_changes.set_ips(
        store, "admin.wu", account.id, ["10.20.0.12", " 10.20.0.11 "], reason="換電腦"
    )
    history = account_changes.ip_history(store, account.id)
    assert [(h.old, h.new) for h in history] == [
        ((), ("10.20.0.11",)),
        (("10.20.0.11",), ("10.20.0.11", "10.20.0.12")),
    ]
    assert history[-1].actor == "admin.wu" and history[-1].reason == "換電腦"
    assert store.get(NiaAccount, account.id).ips == ("10.20.0.11", "10.20.0.12")
    assert status_of(store, "6.4", account.id).status == Status.COMPLIANT


def test_an_unchanged_ip_list_writes_nothing_and_a_bad_address_is_refused(store):
    account = activate(store, clock.today())
    account_changes.set_ips(store, ACTOR, account.id, ["10.20.0.11"])
    assert len(account_changes.ip_history(store, account.id)) == 1
    with pytest.raises(InvalidInput, match="IP"):
        account_changes.set_ips(store, ACTOR, account.id, ["10.20.0.300"])


def test_a_change_of_account_manager_is_logged_and_kept(store):
    agency = account_changes.change_account_admin(
        store, ACTOR, AGENCY_ID, "吳志明", reason="職務輪調"
    )
    assert agency.account_admin == "吳志明"
    [change] = account_changes.admin_changes(store, AGENCY_ID)
    assert (change.old, change.new, change.actor) == ("林佳蓉", "吳志明", ACTOR)
    assert "account_admin_changed" in [e["action"] for e in store.log.entries()]
    assert store.get(Agency, AGENCY_ID).account_admin == "吳志明"
    with pytest.raises(InvalidInput):
        account_changes.change_account_admin(store, ACTOR, AGENCY_ID, "吳志明")


def test_the_register_lists_accounts_per_agency(store):
    draft(store)
    draft(store, holder="李雅婷", national=national_id("D", "22345678"), login="tpsw0102")
    assert [a.holder for a in account_register.list_accounts(store, AGENCY_ID)] == [
        "李雅婷",
        "陳怡君",
    ]
    assert account_register.list_accounts(store, "ag-other") == []


@pytest.fixture
def blobs(settings):
    from tracker.storage.blobs import BlobStore

    return BlobStore(settings.evidence_dir)


def form(title: str, *lines: str) -> bytes:
    from tracker.documents.pdf import simple_document

    return simple_document(title, list(lines))


def test_the_signed_application_form_is_kept_as_the_accounts_evidence(store, blobs):
    account = activate(store, clock.today())
    evidence = account_application.attach_application(
        store,
        blobs,
        ACTOR,
        account.id,
        filename="申請表.pdf",
        data=form("公務機關應用入出境電子資料申請表", "申請人：陳怡君"),
    )
    assert (evidence.kind, evidence.subject_id, evidence.obligation_id) == (
        "account_application",
        account.id,
        "5.1",
    )
    assert blobs.exists(evidence.sha256)
    assert status_of(store, "5.1", account.id).status == Status.PENDING_REVIEW


def test_a_proxy_authorisation_keeps_its_form_and_names_the_requester(store, blobs):
    account = activate(store, clock.today())
    grant = account_changes.authorize_proxy(
        store,
        blobs,
        ACTOR,
        account.id,
        requester="張美玲",
        requester_unit="老人福利科",
        case_ref="SA-114-0032",
        granted_on=clock.today(),
        data=form("移民資料代查授權單", "委託人：張美玲"),
        filename="授權單.pdf",
    )
    assert store.get(NiaAccount, account.id).proxy_for == ("張美玲",)
    assert account_changes.proxy_authorizations(store, account.id) == [grant]
    assert status_of(store, "5.6", account.id).status == Status.PENDING_REVIEW
    account_changes.revoke_proxy(store, ACTOR, grant.id, revoked_on=clock.today())
    assert store.get(NiaAccount, account.id).proxy_for == ()
    assert status_of(store, "5.6", account.id).status == Status.NOT_APPLICABLE


def test_two_open_accounts_of_an_agency_may_not_share_a_login(store):
    draft(store, login="tpsw0101")
    with pytest.raises(InvalidInput, match="tpsw0101"):
        draft(store, holder="李雅婷", national=national_id("D", "22345678"), login="tpsw0101")
    other = draft(store, holder="李雅婷", national=national_id("D", "22345678"), login="")
    assert account_application.set_login(store, ACTOR, other.id, "tpsw0109").login == "tpsw0109"
