"""The self-audit of point 7.2 from an imported export to the kept audit record, and its case (7.3–7.5)."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import replace
from datetime import date, timedelta

import openpyxl
import pytest
from pypdf import PdfReader

from tracker.compliance.loader import default_catalogue
from tracker.compliance.status import evaluate
from tracker.core import clock
from tracker.core.errors import InvalidInput, NotAllowed
from tracker.domain.audits import SelfAudit
from tracker.domain.enums import ReviewState, Status
from tracker.domain.evidence import Evidence
from tracker.querylog.sampling import draw_audit_sample
from tracker.services import account_departure, audit_findings, audit_sampling, audits, log_imports
from tracker.storage.blobs import BlobStore

from .conftest import ACTOR, AGENCY_ID, activate, query_log_csv

START, END = date(2025, 1, 1), date(2025, 6, 30)


@pytest.fixture
def logs(settings):
    return log_imports.log_store(settings)


@pytest.fixture
def blobs(settings):
    return BlobStore(settings.evidence_dir)


@pytest.fixture
def imported(store, logs, blobs):
    data = query_log_csv(12_345, START)
    log_imports.import_query_log(
        store, logs, blobs, ACTOR, agency_id=AGENCY_ID, data=data, filename="q.csv"
    )
    return data


def open_audit(store, logs, seed=42, **kw):
    return audit_sampling.open_audit(
        store, logs, ACTOR, agency_id=AGENCY_ID, period_start=START, period_end=END, seed=seed, **kw
    )


def review_all(store, audit, finding="legitimate"):
    rows = [
        (r.id, finding, "依個案查詢", "SA-114-0001")
        for r in audit_sampling.sampled_records(store, audit.id)
    ]
    return audit_findings.record_findings(store, "reviewer.wang", rows)


def statuses(store, subject_id, today=None):
    facts = replace(store.facts(), flagged_accounts=audits.flagged_accounts(store))
    rows = evaluate(default_catalogue(), facts, today or clock.today())
    return {r.obligation_id: r.status for r in rows if r.subject_id == subject_id}


def test_an_import_keeps_the_original_file_and_is_recorded(store, logs, blobs, imported):
    [record] = log_imports.list_imports(store, AGENCY_ID)
    assert record.sha256 == hashlib.sha256(imported).hexdigest()
    assert record.rows == 12_345 and record.filename == "q.csv"
    assert blobs.read(record.sha256) == imported


def test_importing_the_same_file_again_is_refused(store, logs, blobs, imported):
    with pytest.raises(InvalidInput, match="已於"):
        log_imports.import_query_log(
            store, logs, blobs, ACTOR, agency_id=AGENCY_ID, data=imported, filename="q.csv"
        )
    assert len(log_imports.list_imports(store, AGENCY_ID)) == 1


def test_population_and_sample_size_follow_the_catalogue_rule(store, logs, imported):
    audit = open_audit(store, logs)
    assert (audit.population, audit.sample_size) == (12_345, 13)  # ceil(12,345 / 1000)
    assert (audit.sample_ratio, audit.sample_floor) == ("1/1000", 10)
    records = audit_sampling.sampled_records(store, audit.id)
    assert len(records) == 13 and {r.pick for r in records} == {"random"}
    assert all("*" in r.subject_id for r in records)


def test_a_population_under_ten_is_checked_in_full(store, logs, blobs):
    log_imports.import_query_log(
        store, logs, blobs, ACTOR, agency_id=AGENCY_ID, data=query_log_csv(9, START, 9)
    )
    audit = open_audit(store, logs)
    assert (audit.population, audit.sample_size) == (9, 9)


def test_the_recorded_seed_draws_the_same_records_again(store, logs, imported):
    audit = open_audit(store, logs, seed=2025)
    drawn = [(r.line, r.source_sha256) for r in audit_sampling.sampled_records(store, audit.id)]
    ratio, floor = default_catalogue().sampling_rule()
    population = logs.rows(AGENCY_ID, START, END)
    again = draw_audit_sample(population, audit.seed, ratio=ratio, floor=floor).rows
    assert [(r["line"], r["source_sha256"]) for r in again] == drawn
    other = draw_audit_sample(population, 2026, ratio=ratio, floor=floor).rows
    assert [r["line"] for r in other] != [line for line, _ in drawn]


def test_without_a_seed_a_random_one_is_recorded(store, logs, imported):
    audit = audit_sampling.open_audit(
        store, logs, ACTOR, agency_id=AGENCY_ID, period_start=START, period_end=END
    )
    assert store.get(SelfAudit, audit.id).seed == audit.seed >= 0


def test_an_empty_period_is_refused(store, logs, imported):
    with pytest.raises(InvalidInput, match="請先匯入"):
        audit_sampling.open_audit(
            store,
            logs,
            ACTOR,
            agency_id=AGENCY_ID,
            period_start=date(2024, 1, 1),
            period_end=date(2024, 6, 30),
        )


def test_risk_picks_are_labelled_and_added_on_top_of_the_random_draw(store, logs, imported):
    account = activate(store, date(2024, 12, 1), login="tpsw0102")
    account_departure.record_holder_left(
        store, ACTOR, account.id, left_on=date(2025, 3, 1), reason="left"
    )
    audit = open_audit(store, logs)
    added = audit_sampling.add_risk_picks(store, logs, ACTOR, audit.id, limit_per_reason=3)
    picks = {r.pick for r in added}
    assert picks == {"departed_holder", "outside_office_hours", "no_purpose", "heavy_user"}
    departed = [r for r in added if r.pick == "departed_holder"]
    assert all(
        r.account == "tpsw0102" and r.queried_at.date() >= date(2025, 3, 1) for r in departed
    )
    assert all(
        r.queried_at.hour >= 18 or r.queried_at.hour < 8 or r.queried_at.weekday() >= 5
        for r in added
        if r.pick == "outside_office_hours"
    )
    assert all(not r.purpose for r in added if r.pick == "no_purpose")
    records = audit_sampling.sampled_records(store, audit.id)
    assert len(records) == 13 + len(added) and store.get(SelfAudit, audit.id).risk_picks == len(
        added
    )
    assert len({(r.source_sha256, r.line) for r in records}) == len(records)


def test_findings_need_a_case_reference_or_a_note(store, logs, imported):
    record = audit_sampling.sampled_records(store, open_audit(store, logs).id)[0]
    with pytest.raises(InvalidInput, match="個案編號"):
        audit_findings.record_finding(store, "reviewer.wang", record.id, finding="legitimate")
    with pytest.raises(InvalidInput, match="說明"):
        audit_findings.record_finding(store, "reviewer.wang", record.id, finding="unclear")
    with pytest.raises(InvalidInput):
        audit_findings.record_finding(store, "reviewer.wang", record.id, finding="maybe", note="x")
    noted = audit_findings.record_finding(
        store, "reviewer.wang", record.id, finding="unclear", note="查 A123456789 無紀錄"
    )
    assert "A123456789" not in noted.note and "A12****789" in noted.note


def test_closing_is_refused_until_every_sampled_record_has_a_finding(store, logs, blobs, imported):
    audit = open_audit(store, logs)
    records = audit_sampling.sampled_records(store, audit.id)
    audit_findings.record_findings(
        store, "reviewer.wang", [(r.id, "legitimate", "", "SA-1") for r in records[:10]]
    )
    with pytest.raises(NotAllowed, match="尚有 3 筆"):
        audit_findings.close_audit(store, blobs, ACTOR, audit.id)
    assert store.get(SelfAudit, audit.id).closed_on is None
    review_all(store, audit)
    closed = audit_findings.close_audit(store, blobs, ACTOR, audit.id)
    assert closed.closed_on == clock.today() and closed.closed_by == ACTOR
    assert audits.audits_done(store, clock.today().year)[AGENCY_ID] == 1
    with pytest.raises(NotAllowed, match="已結案"):
        audit_findings.record_finding(
            store, "reviewer.wang", records[0].id, finding="unclear", note="改"
        )


def test_the_closed_audit_keeps_its_record_as_evidence_of_7_2(store, logs, blobs, imported):
    audit = open_audit(store, logs)
    review_all(store, audit)
    closed = audit_findings.close_audit(store, blobs, ACTOR, audit.id)
    kept = [store.get(Evidence, i) for i in (closed.record_pdf_id, closed.record_xlsx_id)]
    assert {(e.kind, e.subject_id, e.obligation_id) for e in kept} == {
        ("audit_record", AGENCY_ID, "7.2")
    }
    assert default_catalogue().evidence_kinds["audit_record"].retention_years == 5
    assert {e.state for e in kept} == {ReviewState.APPROVED}
    assert {e.reviewed_by for e in kept} == {ACTOR}
    assert statuses(store, AGENCY_ID)["7.2"] in (Status.COMPLIANT, Status.DUE_SOON)


def test_the_audit_record_pdf_has_a_text_layer_with_agency_period_and_sample_size(
    store, logs, blobs, imported
):
    audit = open_audit(store, logs)
    review_all(store, audit)
    audit_findings.close_audit(store, blobs, ACTOR, audit.id)
    pdf = audits.record_files(store, blobs, audit.id)["pdf"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    squeezed = "".join(
        text.replace("\x00", "").split()
    )  # pypdf puts a NUL before each glyph of this CID font
    for expected in (
        "臺北市政府社會局",
        "民國114年1月1日至民國114年6月30日",
        "本系統解讀：「最小抽樣比例為千分之一",
        "抽樣數13",
        "母體筆數12,345",
        "抽樣代碼（以同一代碼可重現同一組樣本）42",
        "機關帳號管理者",
        "使用單位主管",
        "政風單位",
    ):
        assert expected in squeezed, expected
    assert "A12****" in squeezed or "****" in squeezed  # subject IDs appear masked
    assert "catalogue" not in squeezed and "reading" not in squeezed, "zh-TW only"
    assert audit.id not in squeezed and AGENCY_ID not in squeezed, "records are named, not ids"
    assert not re.search(r"20\d\d-\d\d-\d\d", squeezed), "ROC dates only"


def test_the_audit_record_workbook_has_the_same_numbers(store, logs, blobs, imported):
    audit = open_audit(store, logs)
    review_all(store, audit)
    audit_findings.close_audit(store, blobs, ACTOR, audit.id)
    book = openpyxl.load_workbook(io.BytesIO(audits.record_files(store, blobs, audit.id)["xlsx"]))
    facts = {
        row[0]: row[1] for row in book["抽查紀錄"].iter_rows(values_only=True) if row and row[0]
    }
    assert facts["機關"] == "臺北市政府社會局"
    assert (
        facts["母體筆數"],
        facts["抽樣數"],
        facts["抽樣代碼（以同一代碼可重現同一組樣本）"],
        facts["合法"],
    ) == (
        12_345,
        13,
        42,
        13,
    )
    assert "民國 114 年 1 月 1 日" in facts["稽核期間"]
    detail = list(book["抽查明細"].iter_rows(values_only=True))
    assert len(detail) == 1 + 13 and all("*" in row[5] for row in detail[1:])


def test_a_not_legitimate_finding_opens_a_case_that_drives_7_3_to_7_5(store, logs, blobs, imported):
    account = activate(store, date(2024, 12, 1), login="tpsw0101")
    audit = open_audit(store, logs)
    records = audit_sampling.sampled_records(store, audit.id)
    bad = next(r for r in records if r.account == "tpsw0101")
    review_all(store, audit)
    audit_findings.record_finding(
        store, "reviewer.wang", bad.id, finding="not_legitimate", note="查詢親友入出境，非業務需要"
    )
    assert store.get(SelfAudit, audit.id).violations == 1
    assert audits.flagged_accounts(store) == {account.id}
    assert statuses(store, account.id)["5.5"] == Status.REJECTED
    with pytest.raises(NotAllowed, match="通知政風及資訊單位日期、改善措施"):
        audit_findings.close_audit(store, blobs, ACTOR, audit.id)
    assert store.get(SelfAudit, audit.id).closed_on is None
    today = clock.today()
    audit_findings.record_case(
        store,
        ACTOR,
        audit.id,
        notified_on=today,
        notified_units="政風室、資訊室",
        corrective_action="停止帳號使用權並重新教育訓練",
        corrective_due=today + timedelta(days=10),
    )
    closed = audit_findings.close_audit(store, blobs, ACTOR, audit.id)
    shown = statuses(store, closed.id)
    assert (shown["7.3"], shown["7.4"], shown["7.5"]) == (
        Status.COMPLIANT,
        Status.DUE_SOON,
        Status.MISSING,
    )
    assert statuses(store, closed.id, today + timedelta(days=11))["7.4"] == Status.OVERDUE
    audit_findings.record_case(
        store, ACTOR, closed.id, corrective_done_on=today, recommendation="建議申誡一次"
    )
    shown = statuses(store, closed.id)
    assert (shown["7.4"], shown["7.5"]) == (Status.COMPLIANT, Status.COMPLIANT)
    assert audits.flagged_accounts(store) == frozenset()


def test_a_case_needs_a_violation_and_its_action_before_its_dates(store, logs, imported):
    audit = open_audit(store, logs)
    with pytest.raises(NotAllowed, match="無需立案"):
        audit_findings.record_case(store, ACTOR, audit.id, notified_on=clock.today())
    record = audit_sampling.sampled_records(store, audit.id)[0]
    audit_findings.record_finding(
        store, "reviewer.wang", record.id, finding="not_legitimate", note="非業務查詢"
    )
    with pytest.raises(InvalidInput, match="改善措施"):
        audit_findings.record_case(store, ACTOR, audit.id, corrective_due=clock.today())
