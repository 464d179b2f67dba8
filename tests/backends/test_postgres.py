"""What only the PostgreSQL store has: conflicts between replicas, its tables, schema, and failures."""

from __future__ import annotations

import threading
from dataclasses import replace

import psycopg
import pytest

from tests.backends.conftest import vendor
from tracker.core.errors import ConflictError, StoreError
from tracker.domain.evidence import Evidence
from tracker.domain.vendors import Vendor
from tracker.storage import pg_schema
from tracker.storage.postgres import PgStore


@pytest.fixture
def pg(pg_settings):
    """Opens PostgreSQL stores on the test's database (replicas) and closes them afterwards."""
    opened = []

    def open_store(settings=pg_settings) -> PgStore:
        store = PgStore.open(settings)
        opened.append(store)
        return store

    yield open_store
    for store in opened:
        store.close()


def sql(url: str, statement: str, params=()) -> list:
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(statement, params)
        return cur.fetchall() if cur.description else []


def test_a_write_of_a_record_another_replica_changed_since_it_was_read_is_refused(pg):
    first, second = pg(), pg()
    first.put(vendor(1), actor="t", action="create")
    seen = second.get(Vendor, "v1")
    first.put(replace(seen, name="甲改的"), actor="甲", action="rename")
    lines = first.log.head().count
    with pytest.raises(ConflictError, match="其他人.*重新整理") as caught:
        second.put(replace(seen, name="乙改的"), actor="乙", action="rename")
    assert "未儲存" in caught.value.message_zh
    assert first.get(Vendor, "v1").name == "甲改的" and second.get(Vendor, "v1").name == "甲改的"
    assert first.log.head().count == lines
    second.put(
        replace(second.get(Vendor, "v1"), name="乙重新讀過再改"), actor="乙", action="rename"
    )
    assert first.get(Vendor, "v1").name == "乙重新讀過再改"


def test_reading_the_record_again_under_the_lock_lets_a_read_decide_write_through(pg):
    first, second = pg(), pg()
    first.put(vendor(1), actor="t", action="create")
    second.get(Vendor, "v1")
    first.put(replace(vendor(1), contact="甲"), actor="甲", action="edit")
    with second.locked():
        current = second.require(Vendor, "v1")
        second.put(replace(current, name="乙"), actor="乙", action="rename")
    assert first.get(Vendor, "v1") == replace(vendor(1), contact="甲", name="乙")


def test_a_conflict_on_one_record_of_put_many_writes_none_of_them(pg):
    first, second = pg(), pg()
    first.put_many([vendor(1), vendor(2)], actor="t", action="create")
    stale = second.get(Vendor, "v2")
    first.put(replace(stale, name="甲"), actor="甲", action="rename")
    with pytest.raises(ConflictError):
        second.put_many([vendor(3), replace(vendor(1), name="乙"), stale], actor="乙", action="x")
    assert first.get(Vendor, "v3") is None and first.get(Vendor, "v1") == vendor(1)
    assert first.log.verify().lines == 3


def test_a_row_changed_behind_the_stores_back_is_never_overwritten(pg, pg_url):
    store = pg()
    store.put(vendor(1), actor="t", action="create")
    store.get(Vendor, "v1")
    sql(pg_url, "UPDATE tracker.records SET version = version + 1 WHERE id = 'v1'")
    with pytest.raises(ConflictError, match="未儲存"):
        store.put(replace(vendor(1), name="蓋過去"), actor="t", action="rename")
    rows = sql(pg_url, "SELECT version, doc->>'name' FROM tracker.records WHERE id = 'v1'")
    assert rows == [(2, "廠商1")]
    assert store.log.verify().lines == 1


def test_a_line_appended_without_the_stores_lock_makes_its_next_write_a_conflict(pg, pg_url):
    store = pg()
    store.put(vendor(1), actor="t", action="create")
    with store.locked():
        sql(pg_url, "UPDATE tracker.log_head SET seq = seq + 1, count = count + 1")
        with pytest.raises(ConflictError, match="未儲存"):
            store.record_event(actor="t", action="signed_in")
    assert store.log.verify().lines == 1


def test_records_are_rows_with_owner_columns_a_jsonb_document_and_a_version(pg, pg_url):
    from tests.backends.test_contract import evidence

    store = pg()
    store.put_many([evidence("e1", "v1", "ag"), evidence("e2", None, "ag")], actor="t", action="u")
    store.put(replace(evidence("e1", "v1", "ag"), filename="g.pdf"), actor="t", action="u")
    rows = sql(
        pg_url,
        "SELECT id, vendor, agency, audit, version, jsonb_typeof(doc), doc->>'filename', seq "
        "FROM tracker.records WHERE collection = 'evidence' ORDER BY id",
    )
    assert rows == [
        ("e1", "v1", None, None, 2, "object", "g.pdf", 3),
        ("e2", None, "ag", None, 1, "object", "f.pdf", 2),
    ]
    assert store.get(Evidence, "e1").filename == "g.pdf"


def test_a_changed_log_line_is_caught_by_verify_and_by_the_status_check(pg, pg_url):
    store = pg()
    for n in range(4):
        store.put(vendor(n), actor="t", action="create")
    assert store.log_intact()
    sql(
        pg_url,
        "UPDATE tracker.activity_log SET line = replace(line, '廠商3', '廠商X') WHERE seq = 4",
    )
    result = store.log.verify()
    assert not result.ok and result.line == 4 and "修改" in result.problem_zh
    assert not pg().log_intact()


def test_a_removed_last_line_is_caught_by_the_head(pg, pg_url):
    store = pg()
    for n in range(3):
        store.put(vendor(n), actor="t", action="create")
    sql(pg_url, "DELETE FROM tracker.activity_log WHERE seq = 3")
    result = store.log.verify()
    assert not result.ok and "鏈頭" in result.problem_zh


def test_a_new_process_checks_only_the_lines_since_the_last_verified_position(pg, pg_url):
    store = pg()
    for n in range(3):
        store.put(vendor(n), actor="t", action="create")
    assert store.log_intact()  # the whole log, once; the position is kept in the database
    store.put(vendor(9), actor="t", action="create")
    sql(pg_url, "UPDATE tracker.activity_log SET line = replace(line, '廠商0', '廠商Z')")
    assert pg().log_intact()  # line 1 is the nightly full check's to find …
    assert not store.log.verify().ok  # … and it does
    sql(pg_url, "UPDATE tracker.activity_log SET prev_hash = repeat('1', 64) WHERE seq = 4")
    sql(pg_url, "UPDATE tracker.activity_log SET line = replace(line, '廠商9', '廠商Y')")
    assert not pg().log_intact()  # a line after the verified position is checked


def test_two_processes_opening_a_new_database_at_once_create_its_tables_once(pg_settings):
    stores, errors = [], []

    def open_one():
        try:
            stores.append(PgStore.open(pg_settings))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors and len(stores) == 4
        assert sql(pg_settings.database_url, "SELECT version FROM tracker.schema_version") == [(1,)]
    finally:
        for store in stores:
            store.close()


def test_a_database_of_a_newer_version_is_refused_with_a_message(pg, pg_url):
    pg().close()
    sql(pg_url, "INSERT INTO tracker.schema_version (version, step) VALUES (99, 'future')")
    with pytest.raises(StoreError, match="較新版本"):
        pg()


def test_an_older_database_is_refused_until_store_migrate_runs_the_step(pg, pg_url, monkeypatch):
    pg().close()
    step = ("a column for the test", ("ALTER TABLE tracker.meta ADD COLUMN note text",))
    monkeypatch.setattr(pg_schema, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(pg_schema.STEPS, 1, step)
    with pytest.raises(StoreError, match="store migrate"):
        pg()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert pg_schema.migrate(conn) == [2]
        assert pg_schema.migrate(conn) == []
    assert pg().schema == 2
    assert sql(pg_url, "SELECT count(*) FROM tracker.schema_version") == [(2,)]


def test_an_unreachable_server_is_a_clear_message_without_the_password(settings, tmp_path):
    url = f"postgresql://tracker:s3cr3t-pw@/nodb?host={tmp_path}&connect_timeout=2"
    with pytest.raises(StoreError) as caught:
        PgStore.open(replace(settings, database_url=url))
    assert "無法連線資料庫" in caught.value.message_zh
    assert "s3cr3t" not in str(caught.value)


@pytest.mark.parametrize("url", ["mysql://x@y/z", "postgresql://x@y/z?nonsense=1", "postgres:/"])
def test_a_malformed_database_url_is_a_clear_message(settings, url):
    with pytest.raises(StoreError, match="TRACKER_DATABASE_URL"):
        PgStore.open(replace(settings, database_url=url))


def test_the_lock_held_too_long_by_another_process_is_a_clear_message(pg, pg_settings):
    holder = pg()
    impatient = pg(
        replace(
            pg_settings, database_url=pg_settings.database_url + "&options=-c%20lock_timeout%3D300"
        )
    )
    with holder.locked(), pytest.raises(StoreError, match="忙碌"):
        impatient.put(vendor(1), actor="t", action="create")
    impatient.put(vendor(1), actor="t", action="create")
    assert holder.get(Vendor, "v1") == vendor(1)


def test_a_connection_lost_in_a_write_says_to_reload_and_the_store_goes_on(pg, pg_url):
    store = pg()
    store.put(vendor(1), actor="t", action="create")
    with store.locked():
        pid = store._conn.info.backend_pid
        sql(pg_url, "SELECT pg_terminate_backend(%s)", (pid,))
        # one round trip carries the whole change, so a lost connection leaves its fate
        # unknown to this process: the message says so, and the next read tells
        with pytest.raises(StoreError, match="無法確定.*重新整理"):
            store.put(vendor(2), actor="t", action="create")
    assert store.get(Vendor, "v2") is None
    store.put(vendor(3), actor="t", action="create")
    assert pg().get(Vendor, "v3") == vendor(3) and store.log.verify().lines == 2
