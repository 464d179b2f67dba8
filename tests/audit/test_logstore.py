"""Stored query-log imports: Parquet per import, no double import, five-year retention (7.1)."""

from __future__ import annotations

import json
import threading
from datetime import date, datetime

import filelock
import pyarrow.parquet as pq
import pytest

from tests.audit.exports import csv_bytes, log_rows
from tracker.compliance.loader import default_catalogue
from tracker.core.clock import TAIPEI
from tracker.core.errors import InvalidInput, NotFound
from tracker.querylog.reader import read_export
from tracker.querylog.sampling import draw_audit_sample
from tracker.querylog.store import LogStore, retention_cutoff

RATIO, FLOOR = default_catalogue().sampling_rule()
RULE = {"ratio": RATIO, "floor": FLOOR}  # the catalogue's 7.2 rule

NOW = datetime(2025, 7, 1, 9, 0)
MARCH = datetime(2025, 3, 3, 9, 0)


@pytest.fixture
def store(settings):
    return LogStore(settings.data_dir / "query-logs")


def export(count=10, start=MARCH, **kwargs):
    return read_export(csv_bytes(log_rows(count, start=start, **kwargs)), filename="march.csv")


def test_an_import_is_one_zstd_parquet_file_listed_in_the_manifest(store):
    log = export()
    record = store.import_log(log, "sw01", "admin", NOW)
    path = store.root / "sw01" / f"{log.sha256}.parquet"
    assert record.rows == 10 and record.first_queried_at == MARCH.replace(tzinfo=TAIPEI)
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "ZSTD"
    assert store.imports("sw01") == [record]
    assert LogStore(store.root).imports("sw01") == [record]  # survives a new instance


def test_rows_are_read_back_by_period_with_subject_ids_as_exported(store):
    store.import_log(export(500), "sw01", "admin", NOW)  # every 7 minutes from 3 March 09:00
    log = store.rows("sw01", date(2025, 3, 4), date(2025, 3, 4))
    times = log.table["queried_at"].to_pylist()
    assert times and all(t.date() == date(2025, 3, 4) for t in times)
    assert len(times) == 1440 // 7 + 1
    assert (
        log.table["subject_id"][0].as_py().startswith("A")
        and "*" not in log.table["subject_id"][0].as_py()
    )
    assert set(log.table["source_sha256"].to_pylist()) == {store.imports("sw01")[0].sha256}


def test_rows_of_several_imports_come_back_in_time_order(store):
    store.import_log(export(5, start=datetime(2025, 3, 10)), "sw01", "admin", NOW)
    store.import_log(export(5, start=datetime(2025, 3, 1)), "sw01", "admin", NOW)
    times = store.rows("sw01").table["queried_at"].to_pylist()
    assert times == sorted(times) and len(times) == 10


def test_a_sample_drawn_from_stored_rows_shows_masked_ids_and_their_import(store):
    store.import_log(export(30), "sw01", "admin", NOW)
    sample = draw_audit_sample(store.rows("sw01"), 4, **RULE)
    assert sample.sample_size == 10
    assert all("****" in r["subject_id"] and r["source_sha256"] for r in sample.rows)


def test_the_same_file_is_not_imported_twice(store):
    log = export()
    store.import_log(log, "sw01", "admin", NOW)
    with pytest.raises(InvalidInput, match="此檔案已於 2025-07-01 09:00 由 admin 匯入"):
        store.import_log(export(), "sw01", "clerk", NOW)
    assert len(store.imports("sw01")) == 1


def test_another_agency_may_import_the_same_file(store):
    store.import_log(export(), "sw01", "admin", NOW)
    store.import_log(export(), "sw02", "admin", NOW)
    assert len(store.imports("sw02")) == 1


def test_an_import_with_a_row_younger_than_five_years_cannot_be_deleted(store):
    log = export()
    store.import_log(log, "sw01", "admin", NOW)
    with pytest.raises(InvalidInput, match="7.1"):
        store.delete_import("sw01", log.sha256, datetime(2030, 3, 3, 9, 0))
    assert store.imports("sw01") and (store.root / "sw01" / f"{log.sha256}.parquet").exists()


def test_an_import_older_than_five_years_is_listed_as_expired_and_can_be_deleted(store):
    old, recent = export(3, start=datetime(2019, 1, 2)), export(3)
    store.import_log(old, "sw01", "admin", datetime(2019, 2, 1))
    store.import_log(recent, "sw01", "admin", NOW)
    now = datetime(2025, 7, 1)
    assert [r.sha256 for r in store.expired_imports(now)] == [old.sha256]
    removed = store.delete_import("sw01", old.sha256, now)
    assert removed.sha256 == old.sha256
    assert [r.sha256 for r in store.imports("sw01")] == [recent.sha256]
    assert not (store.root / "sw01" / f"{old.sha256}.parquet").exists()


def test_an_empty_export_beside_normal_ones_is_judged_by_its_import_time(store):
    """An empty export has no row times, so its import time (aware) decides; the
    others' last row time (naive in the export) must compare with the same cutoff."""
    empty = read_export(csv_bytes([]), filename="empty.csv")
    store.import_log(empty, "sw01", "admin", datetime(2019, 2, 1, tzinfo=TAIPEI))
    store.import_log(export(3, start=datetime(2019, 1, 2)), "sw02", "admin", datetime(2019, 2, 1))
    store.import_log(export(3), "sw02", "admin", NOW)
    for now in (datetime(2025, 7, 1), datetime(2025, 7, 1, tzinfo=TAIPEI)):
        expired = store.expired_imports(now)
        assert sorted(r.agency_id for r in expired) == ["sw01", "sw02"]
        assert all(r.imported_at.tzinfo is not None for r in expired)


def test_a_manifest_with_naive_times_is_read_as_taipei_time(store):
    old = export(3, start=datetime(2019, 1, 2))
    store.import_log(old, "sw01", "admin", datetime(2019, 2, 1))
    path = store.root / "sw01" / "manifest.json"
    entries = json.loads(path.read_text(encoding="utf-8"))
    for entry in entries:  # as written before times were stored aware
        for key in ("first_queried_at", "last_queried_at", "imported_at"):
            entry[key] = entry[key][:19]
    path.write_text(json.dumps(entries), encoding="utf-8")
    (record,) = store.imports("sw01")
    assert record.last_queried_at == datetime(2019, 1, 2, 0, 14, tzinfo=TAIPEI)
    assert [r.sha256 for r in store.expired_imports(NOW)] == [old.sha256]
    store.import_log(export(3), "sw01", "admin", NOW)  # a new entry beside the old one
    assert len(store.imports("sw01")) == 2


def test_locked_holds_the_lock_every_write_takes(store):
    with store.locked(), pytest.raises(filelock.Timeout):
        filelock.FileLock(store.root / ".lock", timeout=0).acquire()
    with filelock.FileLock(store.root / ".lock", timeout=0):
        pass  # released on leaving the block


def test_deleting_an_unknown_import_is_not_found(store):
    with pytest.raises(NotFound):
        store.delete_import("sw01", "0" * 64, NOW)


def test_five_years_back_from_29_february_is_28_february():
    assert retention_cutoff(datetime(2028, 2, 29, 12)) == datetime(2023, 2, 28, 12)


@pytest.mark.parametrize("agency", ["../etc", "", ".hidden", "a/b", "機關"])
def test_an_agency_id_that_could_leave_the_store_folder_is_refused(store, agency):
    with pytest.raises(InvalidInput):
        store.import_log(export(), agency, "admin", NOW)


def test_two_imports_at_once_both_land_in_the_manifest(store):
    logs = [export(5, start=datetime(2025, 3, d)) for d in (1, 2)]
    threads = [
        threading.Thread(target=store.import_log, args=(log, "sw01", "a", NOW)) for log in logs
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {r.sha256 for r in store.imports("sw01")} == {log.sha256 for log in logs}


BAD_FILES = {
    "missing column": csv_bytes([["2025-03-02 10:00", "u1"]], header=["查詢時間", "帳號"]),
    "bad date": csv_bytes([["2025-02-30 10:00", "u1", "q", "A123456789", "", ""]]),
    "empty cell": csv_bytes([["2025-03-02 10:00", "", "q", "A123456789", "", ""]]),
    "undecodable": b"\xff\xfe\xfa\n\x81\x00",
    "pdf": b"%PDF-1.4\n",
    "empty": b"",
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_nothing_is_stored_for_a_refused_file(store, name):
    with pytest.raises(InvalidInput):
        store.import_log(read_export(BAD_FILES[name]), "sw01", "admin", NOW)
    assert not store.root.exists() or not any(store.root.rglob("*.parquet"))
    assert store.imports("sw01") == []
