"""The status engine applies each rule of the catalogue at its boundaries."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from tracker.compliance.loader import load_catalogue
from tracker.compliance.rollups import rollup
from tracker.compliance.status import evaluate
from tracker.core.clock import TAIPEI, add_months
from tracker.domain.accounts import NiaAccount
from tracker.domain.audits import SelfAudit
from tracker.domain.enums import ReviewState, Status, SubjectKind
from tracker.domain.evidence import Evidence
from tracker.domain.facts import Facts
from tracker.domain.vendors import Agency, Contract, DedicatedPC, Incident, Vendor, VendorStaff

TODAY = date(2026, 3, 2)
CAT = load_catalogue()


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TAIPEI)


AGENCY = Agency("ag", "臺北市政府社會局", account_admin="林佳蓉")
VENDOR = Vendor("v", "北辰資訊股份有限公司", "04595257")
CONTRACT = Contract(
    "c", "v", "ag", "維運案", date(2025, 1, 1), date(2026, 12, 31), custom_development=False
)
STAFF = VendorStaff("s", "v", "c", "王小明", "A12****789", date(2025, 1, 10), accounts=("ops01",))


def facts(**kw) -> Facts:
    base = dict(agencies=(AGENCY,), vendors=(VENDOR,), contracts=(CONTRACT,), staff=(STAFF,))
    base.update(kw)
    return Facts(**base)


def evidence(
    kind: str,
    subject_kind=SubjectKind.VENDOR_STAFF,
    subject_id="s",
    state=ReviewState.APPROVED,
    effective: date | None = date(2025, 1, 5),
    valid_until=None,
    uploaded=date(2025, 1, 6),
    **kw,
) -> Evidence:
    return Evidence(
        id=f"ev-{kind}-{subject_id}-{state.value}-{uploaded}",
        obligation_id="x",
        subject_kind=subject_kind,
        subject_id=subject_id,
        kind=kind,
        sha256="0" * 64,
        filename="f.pdf",
        uploaded_by="u",
        uploaded_at=at(uploaded),
        vendor_id="v",
        effective=effective,
        valid_until=valid_until,
        state=state,
        **kw,
    )


def status_of(f: Facts, obligation: str, subject: str, today: date = TODAY):
    rows = [
        r
        for r in evaluate(CAT, f, today)
        if r.obligation_id == obligation and r.subject_id == subject
    ]
    assert len(rows) == 1, rows
    return rows[0]


# --- the examples the foundation issue names --------------------------------------


def test_a_staff_member_who_left_five_days_ago_without_a_removal_record_is_overdue_under_8_10():
    left = replace(STAFF, end=TODAY - timedelta(days=5))
    row = status_of(facts(staff=(left,)), "8.10", "s")
    assert row.status == Status.OVERDUE
    assert row.due == TODAY - timedelta(days=2)


def test_a_security_certificate_approved_thirteen_months_ago_is_expired_with_twelve_months_validity():
    contract = replace(CONTRACT, custom_development=True)
    approved = add_months(TODAY, -13)
    cert = evidence(
        "security_test_certificate",
        SubjectKind.CONTRACT,
        "c",
        effective=approved,
        uploaded=approved,
    )
    row = status_of(facts(contracts=(contract,), evidence=(cert,)), "8.2", "c")
    assert row.status == Status.EXPIRED
    assert row.due == add_months(approved, 12)


def test_a_contract_without_custom_development_has_8_2_not_applicable():
    assert status_of(facts(), "8.2", "c").status == Status.NOT_APPLICABLE


# --- evidence-based statuses --------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (ReviewState.APPROVED, Status.COMPLIANT),
        (ReviewState.SUBMITTED, Status.PENDING_REVIEW),
        (ReviewState.REJECTED, Status.REJECTED),
    ],
)
def test_a_pledge_takes_its_status_from_the_review(state, expected):
    row = status_of(facts(evidence=(evidence("staff_pledge", state=state),)), "8.6", "s")
    assert row.status == expected
    assert row.ok is (expected == Status.COMPLIANT)


def test_a_superseded_pledge_does_not_count():
    old = evidence("staff_pledge", state=ReviewState.SUPERSEDED)
    assert status_of(facts(evidence=(old,)), "8.6", "s").status == Status.OVERDUE


def test_a_missing_pledge_is_overdue_after_the_start_and_missing_with_its_due_date_before_it():
    starts_in_10 = replace(STAFF, start=TODAY + timedelta(days=10))
    starts_in_31 = replace(STAFF, start=TODAY + timedelta(days=31))
    assert status_of(facts(), "8.6", "s").status == Status.OVERDUE
    soon = status_of(facts(staff=(starts_in_10,)), "8.6", "s")
    assert (soon.status, soon.due) == (Status.MISSING, starts_in_10.start)
    assert soon.reason_zh == f"缺件，期限 {starts_in_10.start.isoformat()}"
    assert status_of(facts(staff=(starts_in_31,)), "8.6", "s").status == Status.MISSING


def test_a_pledge_follows_the_contract_end_and_is_never_due_soon_before_it():
    contract = replace(CONTRACT, end=TODAY + timedelta(days=5))
    row = status_of(facts(contracts=(contract,), evidence=(evidence("staff_pledge"),)), "8.6", "s")
    assert row.status == Status.COMPLIANT


def test_a_certificate_is_due_soon_within_thirty_days_of_its_expiry_and_compliant_before():
    contract = replace(CONTRACT, custom_development=True)
    # expires_in: days from TODAY to the end of the certificate's 12 months
    for expires_in, expected in (
        (30, Status.DUE_SOON),
        (31, Status.COMPLIANT),
        (0, Status.DUE_SOON),
        (-1, Status.EXPIRED),
    ):
        effective = add_months(TODAY + timedelta(days=expires_in), -12)
        cert = evidence(
            "security_test_certificate",
            SubjectKind.CONTRACT,
            "c",
            effective=effective,
            uploaded=effective,
        )
        row = status_of(facts(contracts=(contract,), evidence=(cert,)), "8.2", "c")
        assert row.status == expected, (expires_in, row)
        assert row.ok is (expected in (Status.COMPLIANT, Status.DUE_SOON))


def test_an_approved_record_wins_over_a_newer_submission_awaiting_review():
    approved = evidence("staff_pledge")
    pending = evidence("staff_pledge", state=ReviewState.SUBMITTED, uploaded=date(2026, 2, 1))
    row = status_of(facts(evidence=(approved, pending)), "8.6", "s")
    assert row.status == Status.COMPLIANT and row.evidence_id == approved.id


def test_the_first_certificate_is_due_180_days_after_the_contract_starts():
    contract = replace(CONTRACT, custom_development=True, start=TODAY - timedelta(days=180))
    assert status_of(facts(contracts=(contract,)), "8.2", "c").status == Status.MISSING
    contract = replace(contract, start=TODAY - timedelta(days=181))
    assert status_of(facts(contracts=(contract,)), "8.2", "c").status == Status.OVERDUE


# --- applicability ------------------------------------------------------------------


def test_staff_who_do_not_touch_sensitive_data_need_no_suitability_check_or_8_6_pledge_but_still_8_8():
    plain = replace(STAFF, touches_sensitive_data=False)
    f = facts(staff=(plain,))
    assert status_of(f, "8.1", "s").status == Status.NOT_APPLICABLE
    assert status_of(f, "8.6", "s").status == Status.NOT_APPLICABLE
    assert status_of(f, "8.8", "s").status == Status.OVERDUE


def test_a_contract_without_personal_data_needs_no_suitability_check():
    contract = replace(CONTRACT, handles_personal_data=False)
    assert status_of(facts(contracts=(contract,)), "8.1", "s").status == Status.NOT_APPLICABLE


def test_8_10_applies_only_after_departure_and_only_to_account_holders():
    assert status_of(facts(), "8.10", "s").status == Status.NOT_APPLICABLE
    no_accounts = replace(STAFF, accounts=(), end=TODAY - timedelta(days=5))
    assert status_of(facts(staff=(no_accounts,)), "8.10", "s").status == Status.NOT_APPLICABLE
    leaves_tomorrow = replace(STAFF, end=TODAY + timedelta(days=1))
    assert status_of(facts(staff=(leaves_tomorrow,)), "8.10", "s").status == Status.NOT_APPLICABLE


@pytest.mark.parametrize(
    ("days_ago", "expected"), [(0, Status.MISSING), (3, Status.MISSING), (4, Status.OVERDUE)]
)
def test_8_10_allows_three_days_after_departure(days_ago, expected):
    left = replace(STAFF, end=TODAY - timedelta(days=days_ago))
    assert status_of(facts(staff=(left,)), "8.10", "s").status == expected


def test_the_contract_end_starts_the_8_10_clock_too():
    ended = replace(CONTRACT, end=TODAY - timedelta(days=10))
    row = status_of(facts(contracts=(ended,)), "8.10", "s")
    assert row.status == Status.OVERDUE and row.due == TODAY - timedelta(days=7)
    removal = evidence(
        "account_removal_record",
        effective=TODAY - timedelta(days=9),
        uploaded=TODAY - timedelta(days=9),
    )
    assert (
        status_of(facts(contracts=(ended,), evidence=(removal,)), "8.10", "s").status
        == Status.COMPLIANT
    )


def test_after_departure_the_pledge_and_checks_no_longer_apply():
    left = replace(STAFF, end=TODAY - timedelta(days=1))
    assert status_of(facts(staff=(left,)), "8.6", "s").status == Status.NOT_APPLICABLE


# --- fact checks ----------------------------------------------------------------------


def test_a_dedicated_pc_needs_all_three_attestations_and_a_checklist():
    pc = DedicatedPC(
        "pc",
        "v",
        "c",
        "PC-01",
        "資訊室",
        offline=True,
        exclusive=True,
        licensed_software_only=False,
    )
    checklist = evidence(
        "dedicated_pc_checklist",
        SubjectKind.DEDICATED_PC,
        "pc",
        effective=TODAY - timedelta(days=10),
    )
    row = status_of(facts(pcs=(pc,), evidence=(checklist,)), "8.11", "pc")
    assert row.status == Status.MISSING and "軟體" in row.reason_zh
    ok_pc = replace(pc, licensed_software_only=True)
    assert (
        status_of(facts(pcs=(ok_pc,), evidence=(checklist,)), "8.11", "pc").status
        == Status.COMPLIANT
    )
    assert status_of(facts(pcs=(ok_pc,)), "8.11", "pc").status == Status.OVERDUE


@pytest.mark.parametrize(("minutes", "expected"), [(60, Status.COMPLIANT), (61, Status.OVERDUE)])
def test_an_incident_must_be_reported_within_one_hour(minutes, expected):
    known = at(TODAY - timedelta(days=1))
    incident = Incident("i", "v", "c", "異常登入", known, known + timedelta(minutes=minutes))
    report = evidence("incident_report", SubjectKind.INCIDENT, "i")
    assert (
        status_of(facts(incidents=(incident,), evidence=(report,)), "8.3", "i").status == expected
    )


def test_an_unreported_incident_is_due_now_then_overdue():
    known = at(TODAY, 9)
    incident = Incident("i", "v", "c", "異常登入", known)
    rows = [
        r
        for r in evaluate(
            CAT, facts(incidents=(incident,)), TODAY, now=known + timedelta(minutes=30)
        )
        if r.obligation_id == "8.3"
    ]
    assert rows[0].status == Status.MISSING, "the report form is missing, not yet late"
    rows = [
        r
        for r in evaluate(
            CAT, facts(incidents=(incident,)), TODAY, now=known + timedelta(minutes=61)
        )
        if r.obligation_id == "8.3"
    ]
    assert rows[0].status == Status.OVERDUE


def account(**kw) -> NiaAccount:
    base = dict(
        id="na",
        agency_id="ag",
        holder="李大華",
        unit="社會救助科",
        state="active",
        legal_basis="social_assistance_act",
        business="社會救助審核",
        channels=("online_service",),
        active_from=date(2025, 5, 1),
        first_reviewed_by="科長",
        ips=("10.0.0.1",),
    )
    base.update(kw)
    return NiaAccount(**base)


def test_an_account_needs_a_listed_legal_basis_a_first_review_and_a_registered_ip():
    f = facts(accounts=(account(legal_basis="made_up", first_reviewed_by="", ips=()),))
    assert status_of(f, "3", "na").status == Status.MISSING
    assert status_of(f, "4.2", "na").status == Status.MISSING
    assert status_of(f, "6.4", "na").status == Status.MISSING
    good = facts(accounts=(account(),))
    assert [status_of(good, o, "na").status for o in ("3", "4.1", "4.2", "6.4")] == [
        Status.COMPLIANT
    ] * 4


@pytest.mark.parametrize(("days_ago", "expected"), [(3, Status.DUE_SOON), (4, Status.OVERDUE)])
def test_an_account_whose_holder_left_must_be_cancelled_within_three_days(days_ago, expected):
    f = facts(accounts=(account(holder_left_on=TODAY - timedelta(days=days_ago)),))
    assert status_of(f, "5.3", "na").status == expected


def test_a_cancelled_account_is_compliant_under_5_3_and_out_of_service():
    left = TODAY - timedelta(days=10)
    f = facts(accounts=(account(holder_left_on=left, removed_on=left),))
    assert status_of(f, "5.3", "na").status == Status.COMPLIANT
    assert status_of(f, "6.4", "na").status == Status.NOT_APPLICABLE


def test_a_vendor_staff_member_holding_an_nia_account_breaks_5_7():
    f = facts(accounts=(account(holder=STAFF.name),))
    assert status_of(f, "5.7", "ag").status == Status.REJECTED


def test_a_flagged_account_breaks_5_5_until_resolved():
    f = facts(accounts=(account(),), flagged_accounts=frozenset({"na"}))
    assert status_of(f, "5.5", "na").status == Status.REJECTED


@pytest.mark.parametrize(
    ("today", "closed", "expected"),
    [
        (date(2026, 3, 2), [], Status.COMPLIANT),
        (date(2026, 6, 1), [], Status.DUE_SOON),
        (date(2026, 6, 30), [], Status.DUE_SOON),
        (date(2026, 7, 1), [], Status.OVERDUE),
        (date(2026, 7, 1), [date(2026, 6, 15)], Status.COMPLIANT),
        (date(2026, 12, 5), [date(2026, 6, 15)], Status.DUE_SOON),
        (date(2026, 12, 5), [date(2026, 6, 15), date(2026, 11, 1)], Status.COMPLIANT),
        (date(2026, 7, 1), [date(2025, 12, 15), date(2025, 11, 1)], Status.OVERDUE),
    ],
)
def test_point_7_2_needs_one_audit_by_june_and_two_by_december(today, closed, expected):
    audits = tuple(SelfAudit(f"au{n}", "ag", d, d, closed_on=d) for n, d in enumerate(closed))
    report = evidence("audit_record", SubjectKind.AGENCY, "ag", effective=today, uploaded=today)
    row = status_of(facts(audits=audits, evidence=(report,)), "7.2", "ag", today)
    assert row.status == expected


def test_a_violation_found_by_an_audit_must_be_notified_corrected_and_given_a_recommendation():
    audit = SelfAudit(
        "au",
        "ag",
        date(2026, 1, 1),
        date(2026, 2, 28),
        closed_on=date(2026, 2, 20),
        violations=1,
        corrective_due=date(2026, 3, 1),
    )
    f = facts(audits=(audit,))
    assert status_of(f, "7.3", "au").status == Status.OVERDUE
    assert status_of(f, "7.4", "au").status == Status.OVERDUE
    assert status_of(f, "7.5", "au").status == Status.MISSING
    done = replace(
        audit,
        notified_on=date(2026, 2, 21),
        corrective_done_on=date(2026, 2, 28),
        recommendation="申誡",
    )
    assert [status_of(facts(audits=(done,)), o, "au").status for o in ("7.3", "7.4", "7.5")] == [
        Status.COMPLIANT
    ] * 3
    clean = replace(audit, violations=0)
    assert status_of(facts(audits=(clean,)), "7.3", "au").status == Status.NOT_APPLICABLE


def test_a_broken_activity_log_breaks_7_1():
    assert status_of(facts(log_chain_ok=False), "7.1", "ag").status == Status.REJECTED
    assert status_of(facts(), "7.1", "ag").status == Status.COMPLIANT


def test_an_agency_without_an_account_manager_fails_4_3():
    f = facts(agencies=(replace(AGENCY, account_admin=""),))
    assert status_of(f, "4.3", "ag").status == Status.MISSING


# --- roll-ups ----------------------------------------------------------------------------


def test_rollups_count_ok_rows_over_applicable_ones_per_key():
    f = facts(evidence=(evidence("staff_pledge"), evidence("suitability_check")))
    rows = evaluate(CAT, f, TODAY)
    by_obligation = rollup(rows, "obligation_id")
    assert by_obligation["8.6"].percent == 100.0
    assert by_obligation["8.2"].applicable == 0 and by_obligation["8.2"].percent is None
    overall = rollup(rows)[None]
    assert overall.ok == sum(r.ok for r in rows)
    assert overall.applicable == sum(r.status != Status.NOT_APPLICABLE for r in rows)
    assert set(rollup(rows, "vendor_id")) == {"v"}


def test_every_applicable_pair_gets_exactly_one_row():
    rows = evaluate(CAT, facts(), TODAY)
    keys = [(r.obligation_id, r.subject_id) for r in rows]
    assert len(keys) == len(set(keys))
    staff_obligations = {o.id for o in CAT.for_subject(SubjectKind.VENDOR_STAFF)}
    assert {k[0] for k in keys if k[1] == "s"} == staff_obligations


def test_a_namesake_of_a_vendor_staff_member_with_another_id_does_not_break_5_7():
    namesake = account(holder=STAFF.name, holder_id_masked="B23****456")
    assert status_of(facts(accounts=(namesake,)), "5.7", "ag").status == Status.COMPLIANT
    same_person = account(holder=STAFF.name, holder_id_masked=STAFF.id_masked)
    assert status_of(facts(accounts=(same_person,)), "5.7", "ag").status == Status.REJECTED
