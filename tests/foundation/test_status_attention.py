"""Statuses that do not mislead: an upload a person must look at does not turn 逾期 into 待審查, a
missing pledge is 缺件 (not 即將到期), a late incident report can be resolved with a reason."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tests.foundation.test_status_engine import STAFF, TODAY, at, evidence, facts, status_of
from tracker.compliance.attention import UNSIGNED_ZH, attention_points
from tracker.domain.enums import ReviewState, Status
from tracker.domain.vendors import Incident

CHECKED = {"verdict": "accepted", "reasons": [], "signed": True, "signature_fields": 1}
TEXT_MISSING = {
    "verdict": "needs_review",
    "reasons": [{"code": "keywords_missing", "zh": "找不到預期文字：王小明", "en": "missing"}],
    "signature_fields": 1,
}


def upload(inspection: dict, **kw):
    return evidence("staff_pledge", state=ReviewState.SUBMITTED, inspection=inspection, **kw)


def test_a_flagged_upload_past_its_due_date_stays_overdue_until_a_person_decides():
    row = status_of(facts(evidence=(upload(TEXT_MISSING),)), "8.6", "s")
    assert row.status == Status.OVERDUE and "找不到預期文字" in row.reason_zh
    other = upload(CHECKED, flags=("same_file_other_staff",))
    assert status_of(facts(evidence=(other,)), "8.6", "s").status == Status.OVERDUE


def test_an_upload_that_passed_every_check_is_awaiting_review():
    row = status_of(facts(evidence=(upload(CHECKED),)), "8.6", "s")
    assert (row.status, row.reason_zh) == (Status.PENDING_REVIEW, "已上傳，待資訊室審查")


def test_a_pledge_with_no_signature_at_all_is_never_taken_as_passed():
    unsigned = upload(dict(CHECKED, signed=False, signature_fields=0))
    assert attention_points(unsigned) == [UNSIGNED_ZH]
    assert status_of(facts(evidence=(unsigned,)), "8.6", "s").status == Status.OVERDUE
    empty_field = upload(dict(CHECKED, signed=False, signature_fields=1))
    assert attention_points(empty_field) == [UNSIGNED_ZH], "an empty field is no signature"
    certificate = evidence(
        "security_test_certificate",
        state=ReviewState.SUBMITTED,
        inspection=dict(CHECKED, signed=False, signature_fields=0),
    )
    assert attention_points(certificate) == []


def test_a_flagged_upload_before_its_due_date_is_awaiting_review():
    starts_later = replace(STAFF, start=TODAY + timedelta(days=10))
    row = status_of(facts(staff=(starts_later,), evidence=(upload(TEXT_MISSING),)), "8.6", "s")
    assert row.status == Status.PENDING_REVIEW


def test_a_new_staff_member_without_a_pledge_is_missing_with_the_due_date_not_due_soon():
    new = replace(STAFF, start=TODAY)
    row = status_of(facts(staff=(new,)), "8.8", "s")
    assert row.status == Status.MISSING and row.due == TODAY and "期限" in row.reason_zh


def test_a_late_incident_report_is_overdue_until_resolved_with_a_recorded_reason():
    known = at(TODAY - timedelta(days=2), 9)
    late = Incident("i", "v", "c", "異常登入", known, reported_at=known + timedelta(hours=5))
    assert status_of(facts(incidents=(late,)), "8.3", "i").status == Status.OVERDUE
    resolved = replace(late, late_reason="已查明係夜間值班交接延誤，並要求改善")
    report = evidence("incident_report", "incident", "i")
    row = status_of(facts(incidents=(resolved,), evidence=(report,)), "8.3", "i")
    assert row.status == Status.COMPLIANT
