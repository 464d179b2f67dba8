"""The self-audit page in AppTest: findings saved as one table, one audit per period, closing gated."""

from __future__ import annotations

from datetime import date

import pytest

from tests.app.conftest import shown
from tracker.domain.audits import SampledRecord, SelfAudit
from tracker.services import audit_sampling, log_imports
from tracker.storage.blobs import BlobStore
from tracker.storage.store import Store

from .conftest import ACTOR, AGENCY_ID, page, query_log_csv

START, END = date(2025, 1, 1), date(2025, 6, 30)


@pytest.fixture
def opened(app_store, settings) -> SelfAudit:
    logs = log_imports.log_store(settings)
    log_imports.import_query_log(
        app_store,
        logs,
        BlobStore(settings.evidence_dir),
        ACTOR,
        agency_id=AGENCY_ID,
        data=query_log_csv(500, START, 360),
    )
    return audit_sampling.open_audit(
        app_store, logs, "admin1", agency_id=AGENCY_ID, period_start=START, period_end=END, seed=3
    )


def edit_table(at, audit: SelfAudit, rows: dict[int, dict]):
    at.session_state[f"findings_{audit.id}"] = {
        "edited_rows": {str(n): cells for n, cells in rows.items()},
        "added_rows": [],
        "deleted_rows": [],
    }
    next(b for b in at.button if b.label == "儲存查核結果").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def records(settings, audit) -> list[SampledRecord]:
    return audit_sampling.sampled_records(Store.open(settings), audit.id)


def log_count(settings, action: str) -> int:
    text = (settings.data_dir / "activity-log.jsonl").read_text(encoding="utf-8")
    return text.count(f'"action":"{action}"')


def test_the_findings_table_is_saved_once_with_every_edited_row(app_store, settings, opened):
    at = page("self_audits.py", "admin1")
    edits = {n: {"查核結果": "合法", "個案編號": f"SA-{n:03d}"} for n in range(9)}
    edits[9] = {"查核結果": "無法判定", "說明": "查無個案資料"}
    edit_table(at, opened, edits)
    saved = records(settings, opened)
    assert [r.case_ref for r in saved[:9]] == [f"SA-{n:03d}" for n in range(9)]
    assert (saved[9].finding, saved[9].note) == ("unclear", "查無個案資料")
    assert any("已儲存 10 筆查核結果" in s.value for s in at.success)
    writes = log_count(settings, "audit_findings_recorded")
    assert writes == 11, "ten records and the audit's counts, in one write"


def test_a_refused_table_keeps_the_edits_and_saves_nothing(app_store, settings, opened):
    at = page("self_audits.py", "admin1")
    edits = {0: {"查核結果": "合法", "個案編號": "SA-1"}, 1: {"查核結果": "合法"}}
    edit_table(at, opened, edits)
    assert any("第 2 筆" in e.value and "個案編號" in e.value for e in at.error)
    assert not any(r.finding for r in records(settings, opened))
    kept = at.session_state[f"findings_{opened.id}"]["edited_rows"]
    assert kept["0"]["個案編號"] == "SA-1"


def test_a_second_open_of_the_same_period_is_refused_and_names_the_first(
    app_store, settings, opened
):
    at = page("self_audits.py", "admin1")
    at.text_input(key="open_start").input("114/01/01")
    at.text_input(key="open_end").input("114/06/30")
    at.button(key="open_audit").click().run()
    errors = [shown(e.value) for e in at.error]
    assert any("期間不得重疊" in e and "114/01/01–114/06/30" in e for e in errors)
    assert len(Store.open(settings).all(SelfAudit)) == 1


def test_an_audit_opened_from_the_page_is_chosen_and_stays_chosen_after_saving(
    app_store, settings, opened
):
    at = page("self_audits.py", "admin1")
    at.text_input(key="open_start").input("114/07/01")
    at.text_input(key="open_end").input("2025-12-31")
    at.button(key="open_audit").click().run()
    [second] = [a for a in Store.open(settings).all(SelfAudit) if a.id != opened.id]
    box = at.selectbox(key=f"audit_pick-{AGENCY_ID}")
    assert box.value == second.id
    edit_table(at, second, {0: {"查核結果": "合法", "個案編號": "SA-9"}})
    assert at.selectbox(key=f"audit_pick-{AGENCY_ID}").value == second.id
    assert records(settings, second)[0].case_ref == "SA-9"


def test_closing_is_disabled_and_says_why_while_the_violations_case_is_incomplete(
    app_store, settings, opened
):
    at = page("self_audits.py", "admin1")
    edits = {
        n: {"查核結果": "合法", "個案編號": "SA-1"} for n in range(len(records(settings, opened)))
    }
    edits[0] = {"查核結果": "不合法", "說明": "查詢親友資料"}
    edit_table(at, opened, edits)
    assert at.button(key="close_audit").disabled
    assert any("通知政風及資訊單位日期、改善措施" in w.value for w in at.warning)
