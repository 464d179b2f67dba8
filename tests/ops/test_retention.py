"""Retention: what is past its period, and a purge that never touches anything younger."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import date, datetime, time, timedelta

import orjson
import pytest

from tests.ops.conftest import at, build_world, pdf_bytes, run_cli
from tests.ops.test_backup import tree_digest
from tracker.activitylog.chain import anchor_digest
from tracker.activitylog.log import ActivityLog
from tracker.compliance.loader import default_catalogue
from tracker.core import clock
from tracker.core.errors import InvalidInput
from tracker.domain.audits import SelfAudit
from tracker.domain.enums import ReviewState, SubjectKind
from tracker.domain.evidence import Evidence
from tracker.domain.vendors import Vendor
from tracker.ops.retention import purge
from tracker.ops.retention_report import evidence_items, retention_report, shift_years
from tracker.storage.blobs import BlobStore
from tracker.storage.store import Store

TODAY = date(2031, 3, 15)


def ids(report) -> set[str]:
    return {item.id for item in report.items}


def rejected_on(world, evidence_id: str, day: date, **fields) -> Evidence:
    return world.evidence(
        evidence_id,
        state=ReviewState.REJECTED,
        reviewed_by="it.office",
        reviewed_at=at(day),
        uploaded_at=at(day - timedelta(days=3)),
        review_reason="不符",
        **fields,
    )


def written_at(monkeypatch, moment: datetime):
    """Make the store stamp log lines with ``moment`` (the activity log has no other way to be old)."""
    monkeypatch.setattr(clock, "now", lambda: moment)


@pytest.fixture
def fixed(settings):
    return build_world(settings, TODAY)


def test_rejected_evidence_is_past_retention_only_after_its_five_years_have_run_out(fixed):
    rejected_on(fixed, "ev-old", date(2026, 3, 15))
    assert "ev-old" not in ids(retention_report(fixed.store, date(2031, 3, 15)))  # last day kept
    assert "ev-old" in ids(retention_report(fixed.store, date(2031, 3, 16)))


def test_current_evidence_is_never_past_retention_however_old_it_is(fixed):
    long_ago = at(date(2001, 1, 1))
    fixed.evidence(
        "ev-forever",
        state=ReviewState.APPROVED,
        uploaded_at=long_ago,
        reviewed_at=long_ago,
        valid_until=None,
    )
    fixed.evidence("ev-waiting", subject_id="s-2", vendor_id="v-b", uploaded_at=long_ago)
    assert not {"ev-forever", "ev-waiting"} & ids(retention_report(fixed.store, TODAY))


def test_superseded_evidence_counts_from_the_later_of_its_successors_upload_and_review(fixed):
    fixed.evidence("ev-first", state=ReviewState.SUPERSEDED, uploaded_at=at(date(2024, 1, 2)))
    fixed.evidence(
        "ev-second",
        state=ReviewState.APPROVED,
        uploaded_at=at(date(2025, 6, 1)),
        reviewed_at=at(date(2025, 6, 20)),
        valid_until=date(2040, 1, 1),
    )
    assert "ev-first" not in ids(retention_report(fixed.store, date(2030, 6, 20)))
    found = {i.id: i for i in retention_report(fixed.store, date(2030, 6, 21)).items}
    assert found["ev-first"].since == date(2025, 6, 20)


def test_an_expired_approval_counts_from_its_valid_until_day(fixed):
    fixed.evidence(
        "ev-lapsed",
        state=ReviewState.APPROVED,
        uploaded_at=at(date(2020, 1, 1)),
        reviewed_at=at(date(2020, 1, 2)),
        valid_until=date(2025, 12, 31),
    )
    assert "ev-lapsed" not in ids(retention_report(fixed.store, date(2030, 12, 31)))
    assert "ev-lapsed" in ids(retention_report(fixed.store, date(2031, 1, 1)))


def test_an_audit_record_is_kept_five_years_from_the_audit_closing_day(fixed):
    fixed.store.put(
        SelfAudit(
            "au-old", "ag-sw", date(2024, 1, 1), date(2024, 6, 30), closed_on=date(2024, 7, 10)
        ),
        actor="t",
        action="audit_closed",
    )
    fixed.evidence(
        "ev-record",
        obligation_id="7.2",
        subject_kind=SubjectKind.AUDIT,
        subject_id="au-old",
        kind="audit_record",
        vendor_id=None,
        uploaded_at=at(date(2024, 7, 1)),
    )
    assert "ev-record" not in ids(retention_report(fixed.store, date(2029, 7, 10)))
    assert "ev-record" in ids(retention_report(fixed.store, date(2029, 7, 11)))


def test_a_catalogue_period_shorter_than_five_years_is_raised_to_five(fixed):
    rejected_on(fixed, "ev-short", date(2027, 1, 1))
    catalogue = default_catalogue()
    kinds = {k: replace(v, retention_years=2) for k, v in catalogue.evidence_kinds.items()}
    short = replace(catalogue, evidence_kinds=kinds)
    assert "ev-short" not in {i.id for i in evidence_items(fixed.store, date(2031, 1, 1), short)}
    assert "ev-short" in {i.id for i in evidence_items(fixed.store, date(2032, 1, 2), short)}


def test_the_purge_function_refuses_a_date_later_than_today_minus_five_years(fixed):
    with pytest.raises(InvalidInput, match="2026-03-15"):
        purge(fixed.store, fixed.blobs, date(2026, 3, 16), actor="t", today=TODAY)


def test_no_log_line_younger_than_five_years_is_ever_purged(settings, monkeypatch):
    limit = shift_years(TODAY, -5)
    for n, day in enumerate([limit - timedelta(days=1), limit, limit + timedelta(days=1)]):
        written_at(monkeypatch, datetime.combine(day, time(12), clock.TAIPEI))
        store = Store.open(settings)
        store.put(Vendor(f"v{n}", day.isoformat(), "04595257"), actor="t", action="vendor_created")
    written_at(monkeypatch, datetime.combine(TODAY, time(9), clock.TAIPEI))
    store = Store.open(settings)
    result = purge(store, BlobStore(settings.evidence_dir), limit, actor="t", today=TODAY)
    kept = [e for e in store.log.entries() if e.get("action") == "vendor_created"]
    assert result.log_lines == 1
    assert [e["record"] for e in kept] == ["v1", "v2"]
    assert store.log.verify().ok
    assert len(store.all(Vendor)) == 3  # purging log lines never touches the records they describe


# --- through the command line, with real dates relative to today ------------------


@pytest.fixture
def aged(settings, monkeypatch):
    """Log lines from seven and six years ago, then evidence rejected 7, 6, 5 (to the day) and 4 years ago."""
    today = clock.today()
    real_now = clock.now
    for years in (7, 6):
        written_at(
            monkeypatch, datetime.combine(shift_years(today, -years), time(11), clock.TAIPEI)
        )
        Store.open(settings).put(
            Vendor(f"v-{years}y", f"{years} 年前的廠商", "04595257"),
            actor="t",
            action="vendor_created",
        )
    monkeypatch.setattr(clock, "now", real_now)
    world = build_world(settings, today)
    shared = pdf_bytes("shared file")
    rejected_on(world, "ev-7y", shift_years(today, -7), data=shared)
    rejected_on(world, "ev-6y", shift_years(today, -6), data=pdf_bytes("six years"))
    rejected_on(world, "ev-5y", shift_years(today, -5), data=pdf_bytes("five years to the day"))
    rejected_on(world, "ev-4y", shift_years(today, -4), data=pdf_bytes("four years"))
    world.evidence("ev-current", subject_id="s-2", vendor_id="v-b", agency_id="ag-dv", data=shared)
    return world


def test_the_report_lists_only_what_is_past_retention(aged, env):
    result = run_cli(env, "retention", "report", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    evidence = {i["id"] for i in report["items"] if i["category"] == "evidence"}
    assert evidence == {"ev-7y", "ev-6y"}
    log = [i for i in report["items"] if i["category"] == "activity_log"]
    assert log and log[0]["count"] >= 2


def test_purge_refuses_a_before_date_later_than_today_minus_five_years_and_changes_nothing(
    aged, env
):
    before = tree_digest(aged.settings.data_dir)
    late = shift_years(clock.today(), -5) + timedelta(days=1)
    result = run_cli(env, "retention", "purge", "--before", late.isoformat(), "--yes")
    assert result.returncode == 2
    assert "five years" in result.stderr and "Traceback" not in result.stderr
    assert tree_digest(aged.settings.data_dir) == before


def test_purge_without_yes_prints_the_plan_exits_1_and_changes_nothing(aged, env):
    data, evidence = tree_digest(aged.settings.data_dir), tree_digest(aged.settings.evidence_dir)
    result = run_cli(
        env, "retention", "purge", "--before", shift_years(clock.today(), -5).isoformat()
    )
    assert result.returncode == 1
    assert "ev-7y" in result.stdout and "ev-6y" in result.stdout and "--yes" in result.stdout
    assert (
        tree_digest(aged.settings.data_dir) == data
        and tree_digest(aged.settings.evidence_dir) == evidence
    )


def test_purge_removes_only_records_past_the_limit_and_before_the_date(aged, env):
    today = clock.today()
    between = shift_years(today, -7) + timedelta(days=100)
    first = run_cli(env, "retention", "purge", "--before", between.isoformat(), "--yes", "--json")
    assert first.returncode == 0, first.stderr
    assert {i["id"] for i in json.loads(first.stdout)["items"] if i["category"] == "evidence"} == {
        "ev-7y"
    }
    store = Store.open(aged.settings)
    assert {e.id for e in store.all(Evidence)} >= {"ev-6y", "ev-5y", "ev-4y", "ev-current"}
    assert store.get(Evidence, "ev-7y") is None
    assert aged.blobs.exists(store.get(Evidence, "ev-current").sha256)  # the file is shared: kept

    second = run_cli(
        env, "retention", "purge", "--before", shift_years(today, -5).isoformat(), "--yes"
    )
    assert second.returncode == 0, second.stderr
    store = Store.open(aged.settings)
    left = {e.id for e in store.all(Evidence)}
    assert "ev-6y" not in left and {"ev-5y", "ev-4y", "ev-current"} <= left
    gone = hashlib.sha256(pdf_bytes("six years")).hexdigest()
    assert not aged.blobs.exists(gone)
    assert [e["action"] for e in store.log.entries()].count("evidence_purged") == 2


def test_the_activity_log_still_verifies_after_a_purge_and_starts_with_an_anchor(aged, env):
    result = run_cli(
        env, "retention", "purge", "--before", shift_years(clock.today(), -5).isoformat(), "--yes"
    )
    assert result.returncode == 0, result.stderr
    assert run_cli(env, "log", "verify").returncode == 0
    lines = ActivityLog(aged.settings.data_dir).raw_lines()
    first = orjson.loads(next(iter(lines)))
    assert first["kind"] == "anchor" and first["anchor_digest"] == anchor_digest(first)
    entries = list(ActivityLog(aged.settings.data_dir).entries())
    assert not [e for e in entries if e.get("record") in ("v-7y", "v-6y")]
    purge_line = next(e for e in entries if e.get("action") == "activity_log_purged")
    assert (purge_line["after"]["anchor_seq"], purge_line["after"]["anchor_hash"]) == (
        first["seq"],
        first["hash"],
    )
    assert entries[1]["prev_hash"] == first["hash"]
    again = run_cli(
        env, "retention", "purge", "--before", shift_years(clock.today(), -5).isoformat(), "--yes"
    )
    assert again.returncode == 0 and run_cli(env, "log", "verify").returncode == 0


def test_an_anchor_without_a_purge_line_vouching_for_it_is_caught(aged):
    log = ActivityLog(aged.settings.data_dir)
    lines = list(log.raw_lines())
    cut = orjson.loads(lines[2])
    forged = {
        "kind": "anchor",
        "seq": cut["seq"],
        "prev_hash": cut["prev_hash"],
        "hash": cut["hash"],
        "first_seq": 1,
    }
    forged["anchor_digest"] = anchor_digest(forged)
    log.path.write_bytes(orjson.dumps(forged) + b"\n" + b"".join(lines[3:]))
    head = log.head()
    log.write_head(type(head)(len(lines) - 2, head.seq, head.hash, log.size()))
    result = log.verify()
    assert not result.ok and result.line == 1 and "purge record" in result.problem_en


def test_a_purge_cut_short_before_the_head_moved_is_finished_when_the_store_opens(
    aged, monkeypatch
):
    from tracker.activitylog import purge as log_purge

    store = Store.open(aged.settings)

    def power_cut(folder):  # right after the log file was replaced, before its head was written
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(log_purge, "fsync_dir", power_cut)
    with pytest.raises(KeyboardInterrupt):
        purge(store, aged.blobs, shift_years(clock.today(), -5), actor="t")
    monkeypatch.undo()
    assert not ActivityLog(aged.settings.data_dir).verify().ok
    reopened = Store.open(aged.settings)
    assert reopened.log.verify().ok
    assert not (aged.settings.data_dir / "activity-log.purge.json").exists()


def test_query_logs_older_than_five_years_are_purged_through_the_log_store(world, env):
    """The import of six years ago goes (rows, store record, original file); last month's stays."""
    from tracker.domain.audits import QueryLogImport
    from tracker.querylog.store import LogStore
    from tracker.services.log_imports import import_query_log

    logs = LogStore(world.settings.data_dir / "query-logs")
    old, recent = shift_years(clock.today(), -6), clock.today() - timedelta(days=30)
    for day in (old, recent):
        csv = "查詢時間,使用者帳號,查詢項目,查詢對象證號,查詢事由\n" + "".join(
            f"{day.isoformat()} 10:{n:02d}:00,tpsw0101,國人入出國資訊,A123456789,低收入戶資格審核\n"
            for n in range(5)
        )
        import_query_log(
            world.store,
            logs,
            world.blobs,
            "admin",
            agency_id="ag-sw",
            data=csv.encode(),
            filename="q.csv",
        )
    report = json.loads(run_cli(env, "retention", "report", "--json").stdout)
    assert [i["since"] for i in report["items"] if i["category"] == "query_log"] == [
        old.isoformat()
    ]
    result = run_cli(
        env, "retention", "purge", "--before", shift_years(clock.today(), -5).isoformat(), "--yes"
    )
    assert result.returncode == 0, result.stderr
    remaining = logs.imports("ag-sw")
    assert len(remaining) == 1 and remaining[0].last_queried_at.date() == recent
    store = Store.open(world.settings)
    assert [r.sha256 for r in store.all(QueryLogImport)] == [remaining[0].sha256]
