"""Self-audit rules (7.2–7.4): one audit per agency and period, no future period, no closing while a
violation's case is incomplete, a closing corrected by reopening, the current half-year by default."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app_pages._audits_forms import default_period
from tracker.core import clock
from tracker.core.errors import InvalidInput, NotAllowed
from tracker.domain.audits import SelfAudit
from tracker.domain.corrections import Correction
from tracker.domain.enums import ReviewState
from tracker.domain.evidence import Evidence
from tracker.services import audit_findings, audit_sampling, log_imports
from tracker.services.corrections import correct_audit_closing
from tracker.storage.blobs import BlobStore

from .conftest import ACTOR, AGENCY_ID, query_log_csv

START, END = date(2025, 1, 1), date(2025, 6, 30)


@pytest.fixture
def logs(store, settings):
    logs = log_imports.log_store(settings)
    log_imports.import_query_log(
        store,
        logs,
        BlobStore(settings.evidence_dir),
        ACTOR,
        agency_id=AGENCY_ID,
        data=query_log_csv(2_000, START, 360),
    )
    return logs


def open_audit(store, logs, start=START, end=END):
    return audit_sampling.open_audit(
        store, logs, ACTOR, agency_id=AGENCY_ID, period_start=start, period_end=end, seed=7
    )


def test_a_second_audit_of_the_same_or_an_overlapping_period_is_refused_naming_the_first(
    store, logs
):
    first = open_audit(store, logs)
    for start, end in ((START, END), (date(2025, 6, 1), date(2025, 9, 30))):
        with pytest.raises(NotAllowed, match="期間不得重疊") as refused:
            open_audit(store, logs, start, end)
        assert "114/01/01–114/06/30" in refused.value.message_zh
        assert "進行中" in refused.value.message_zh
    assert [a.id for a in store.all(SelfAudit)] == [first.id]
    assert open_audit(store, logs, date(2025, 7, 1), date(2025, 12, 31)).id != first.id


def test_a_period_ending_after_today_is_refused(store, logs):
    today = clock.today()
    with pytest.raises(InvalidInput, match="迄日不得晚於今天"):
        open_audit(store, logs, today - timedelta(days=30), today + timedelta(days=1))
    assert not store.all(SelfAudit)


def all_legitimate_but_one(store, audit):
    records = audit_sampling.sampled_records(store, audit.id)
    rows = [(r.id, "legitimate", "", "SA-1") for r in records[1:]]
    rows.append((records[0].id, "not_legitimate", "查詢親友資料", ""))
    audit_findings.record_findings(store, "reviewer.wang", rows)


def test_closing_is_refused_while_the_violations_case_lacks_its_notice_date_or_action(
    store, logs, settings
):
    blobs = BlobStore(settings.evidence_dir)
    audit = open_audit(store, logs)
    all_legitimate_but_one(store, audit)
    with pytest.raises(NotAllowed, match="通知政風及資訊單位日期、改善措施"):
        audit_findings.close_audit(store, blobs, ACTOR, audit.id)
    audit_findings.record_case(store, ACTOR, audit.id, notified_on=clock.today())
    with pytest.raises(NotAllowed, match="填寫改善措施，方可結案"):
        audit_findings.close_audit(store, blobs, ACTOR, audit.id)
    assert store.get(SelfAudit, audit.id).closed_on is None
    audit_findings.record_case(store, ACTOR, audit.id, corrective_action="停權並重新教育訓練")
    assert audit_findings.close_audit(store, blobs, ACTOR, audit.id).closed_on == clock.today()


def test_a_closing_is_corrected_by_reopening_and_the_first_record_is_kept(store, logs, settings):
    blobs = BlobStore(settings.evidence_dir)
    audit = open_audit(store, logs)
    audit_findings.record_findings(
        store,
        "reviewer.wang",
        [(r.id, "legitimate", "", "SA-1") for r in audit_sampling.sampled_records(store, audit.id)],
    )
    closed = audit_findings.close_audit(store, blobs, ACTOR, audit.id)
    with pytest.raises(InvalidInput, match="更正理由"):
        correct_audit_closing(store, ACTOR, audit.id, "")
    reopened = correct_audit_closing(store, ACTOR, audit.id, "結案前漏填一筆說明")
    assert reopened.closed_on is None and not reopened.record_pdf_id
    kept = store.require(Evidence, closed.record_pdf_id)
    assert kept.state == ReviewState.SUPERSEDED
    [correction] = store.all(Correction)
    assert (correction.kind, correction.reason) == ("audit_closing", "結案前漏填一筆說明")
    again = audit_findings.close_audit(store, blobs, ACTOR, audit.id)
    assert again.record_pdf_id not in ("", closed.record_pdf_id)


@pytest.mark.parametrize(
    ("today", "period"),
    [
        (date(2026, 12, 1), (date(2026, 7, 1), date(2026, 12, 1))),
        (date(2026, 3, 15), (date(2026, 1, 1), date(2026, 3, 15))),
        (date(2026, 7, 1), (date(2026, 7, 1), date(2026, 7, 1))),
        (date(2026, 6, 30), (date(2026, 1, 1), date(2026, 6, 30))),
    ],
)
def test_the_default_period_is_the_current_half_year_up_to_today(today, period):
    assert default_period(today) == period


def test_the_audit_record_is_written_with_the_longest_notes_a_finding_allows(store, logs, settings):
    blobs = BlobStore(settings.evidence_dir)
    audit = open_audit(store, logs)
    records = audit_sampling.sampled_records(store, audit.id)
    long_note = "查詢對象非承辦個案" * 110 + "x" * 10  # 1,000 characters, the limit
    rows = [(r.id, "unclear", long_note, "C" * 60) for r in records]
    audit_findings.record_findings(store, "reviewer.wang", rows)
    closed = audit_findings.close_audit(store, blobs, ACTOR, audit.id)
    pdf = blobs.read(store.require(Evidence, closed.record_pdf_id).sha256)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
