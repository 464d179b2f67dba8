"""``store copy --to URL``, ``store migrate``, ``log verify`` and ``status`` as an operator runs them."""

from __future__ import annotations

import json
import shutil
import zipfile
from dataclasses import replace

import psycopg
import pytest

from tests.backends.conftest import Backend, vendor
from tracker.core.config import Settings
from tracker.domain.users import AppUser
from tracker.domain.vendors import Vendor
from tracker.storage.store import Store


@pytest.fixture
def demo_folder(demo_root, tmp_path) -> Backend:
    """A private copy of the demo data folder (seeded once per session by ``demo seed``)."""
    shutil.copytree(demo_root, tmp_path / "demo", symlinks=True)
    backend = Backend("folder", Settings.for_folder(tmp_path / "demo"))
    yield backend
    backend.close()


def on_database(backend: Backend, url: str) -> Backend:
    return Backend("postgres", replace(backend.settings, database_url=url))


def tracker(backend: Backend, *args: str):
    return backend.run("-m", "tracker", *args)


def counts(url: str) -> tuple:
    """(records, log lines) in the database; (0, 0) when it has no tables yet."""
    with psycopg.connect(url) as conn:
        if not conn.execute("SELECT to_regclass('tracker.records') IS NOT NULL").fetchone()[0]:
            return (0, 0)
        return conn.execute(
            "SELECT (SELECT count(*) FROM tracker.records), (SELECT count(*) FROM tracker.activity_log)"
        ).fetchone()


@pytest.mark.slow
def test_copying_the_demo_folder_gives_the_same_status_bytes_and_a_verifying_log(
    demo_folder, pg_url
):
    result = tracker(demo_folder, "store", "copy", "--to", pg_url)
    assert result.returncode == 0, result.stderr
    assert "相同 same" in result.stdout and "不同" not in result.stdout
    database = on_database(demo_folder, pg_url)
    folder_status = tracker(demo_folder, "status", "--json", "--date", "2026-03-02")
    database_status = tracker(database, "status", "--json", "--date", "2026-03-02")
    assert folder_status.returncode == database_status.returncode == 0
    assert database_status.stdout == folder_status.stdout
    verify = json.loads(tracker(database, "log", "verify", "--json").stdout)
    assert verify == json.loads(tracker(demo_folder, "log", "verify", "--json").stdout)
    assert verify["ok"] and verify["lines"] > 100
    assert tracker(database, "status").stdout == tracker(demo_folder, "status").stdout


@pytest.mark.slow
def test_the_auditors_package_and_the_retention_report_come_out_the_same_from_the_database(
    demo_folder, pg_url, tmp_path
):
    assert tracker(demo_folder, "store", "copy", "--to", pg_url).returncode == 0
    database = on_database(demo_folder, pg_url)
    members = {}
    for name, backend in (("folder", demo_folder), ("database", database)):
        out = tmp_path / f"{name}.zip"
        made = tracker(backend, "package", "create", "--from", "2020-01-01", "--to", "2030-12-31",
                       "--out", str(out))  # fmt: skip
        assert made.returncode == 0, made.stderr
        with zipfile.ZipFile(out) as zf:
            members[name] = {i.filename: i.CRC for i in zf.infolist()}
    assert members["folder"].keys() == members["database"].keys()
    differing = {n for n, crc in members["folder"].items() if members["database"][n] != crc}
    assert differing <= {"README.txt", "SHA256SUMS", "package.json"}  # they carry the time made
    reports = [tracker(b, "retention", "report", "--json") for b in (demo_folder, database)]
    assert reports[0].returncode == reports[1].returncode == 0
    assert reports[0].stdout == reports[1].stdout


def test_the_copy_reports_in_json_what_it_copied_and_compared(backend_folder, pg_url):
    result = tracker(backend_folder, "store", "copy", "--to", pg_url, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["copied"]["records"] == 3 and report["copied"]["log_lines"] == 4
    assert report["same"] == {"status": True, "log_verify": True} and report["identical"]
    assert report["database"]["log_verify"]["answer"]["ok"] is True
    assert counts(pg_url) == (3, 4)


def test_a_database_that_is_not_empty_is_refused_and_left_as_it_was(backend_folder, pg_url):
    assert tracker(backend_folder, "store", "copy", "--to", pg_url).returncode == 0
    again = tracker(backend_folder, "store", "copy", "--to", pg_url)
    assert again.returncode == 2 and "不是空的" in again.stderr
    assert counts(pg_url) == (3, 4)


def test_a_folder_whose_log_does_not_verify_is_not_copied(backend_folder, pg_url):
    log = backend_folder.settings.data_dir / "activity-log.jsonl"
    log.write_text(log.read_text(encoding="utf-8").replace("廠商1", "廠商X"), encoding="utf-8")
    result = tracker(backend_folder, "store", "copy", "--to", pg_url)
    assert result.returncode == 2 and "驗證" in result.stderr  # the folder store refuses to open it
    assert counts(pg_url) == (0, 0)


@pytest.mark.parametrize("url", ["mysql://u@h/db", "postgresql://u:pw@/nodb?host=/nonexistent"])
def test_a_bad_or_unreachable_target_is_a_one_line_message(backend_folder, url):
    result = tracker(backend_folder, "store", "copy", "--to", url)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "pw" not in result.stderr


def test_store_migrate_creates_a_new_database_then_finds_it_current_and_logs_it(pg_backend):
    first = json.loads(tracker(pg_backend, "store", "migrate", "--json").stdout)
    assert first == {"schema": 1, "applied": [1], "backup": None}
    second = tracker(pg_backend, "store", "migrate")
    assert second.returncode == 0 and "最新" in second.stdout
    lines = [e for e in pg_backend.open().log.entries() if e["action"] == "schema_migrated"]
    assert [line["after"]["to"] for line in lines] == [1]


def test_log_verify_on_the_database_fails_with_the_bad_line_after_tampering(pg_backend, pg_url):
    store = pg_backend.open()
    for n in range(3):
        store.put(vendor(n), actor="t", action="create")
    assert tracker(pg_backend, "log", "verify").returncode == 0
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE tracker.activity_log SET line = replace(line, '廠商1', '廠商Q')")
    result = tracker(pg_backend, "log", "verify", "--json")
    assert result.returncode == 1 and json.loads(result.stdout)["bad_line"] == 2


def test_commands_write_to_the_database_the_url_names_and_not_to_the_folder(pg_backend):
    created = tracker(
        pg_backend, "users", "add", "boss", "--role", "manager", "--password", "a-long-password"
    )
    assert created.returncode == 0, created.stderr
    listed = json.loads(tracker(pg_backend, "users", "list", "--json").stdout)
    assert [row["username"] for row in listed] == ["boss"]
    assert [u.id for u in pg_backend.open().all(AppUser)] == ["boss"]
    assert not (pg_backend.settings.data_dir / "activity-log.jsonl").exists()
    assert "a-long-password" not in b"".join(pg_backend.open().log.raw_lines()).decode()


def test_log_verify_finds_an_anchor_in_the_database_and_the_folder_repairs_say_why_not(pg_backend):
    store = pg_backend.open()
    for n in range(3):
        store.put(vendor(n), actor="t", action="create")
    anchor = list(store.log.entries())[1]["hash"]
    found = json.loads(tracker(pg_backend, "log", "verify", "--anchor", anchor, "--json").stdout)
    assert found["ok"] and found["anchor"] == {"hash": anchor, "seq": 2}
    missing = tracker(pg_backend, "log", "verify", "--anchor", "f" * 64)
    assert missing.returncode == 1 and "不含此錨點" in missing.stderr
    for args in (("log", "reseal", "--anchor", anchor), ("store", "rebuild")):
        refused = tracker(pg_backend, *args)
        assert refused.returncode == 2 and "只適用於資料夾" in refused.stderr, args
    assert tracker(pg_backend, "store", "check").returncode == 0


def test_a_folder_an_older_version_wrote_copies_in_and_checks_clean_on_the_database(
    settings, pg_url, monkeypatch
):
    """The older version knew no single sign-on: its lines and tables lack the two fields the
    copy's rows now carry at their defaults.  Only a value other than the default is named."""
    from tracker.storage import store as folder_store

    current = folder_store.to_doc

    def older_version(record):
        doc = current(record)
        if isinstance(record, AppUser):
            del doc["sso_issuer"], doc["sso_subject_hash"]
        return doc

    monkeypatch.setattr(folder_store, "to_doc", older_version)
    Store.open(settings).put(AppUser("ann", "it_office", "$argon2id$x"), actor="t", action="create")
    monkeypatch.undo()
    folder = Backend("folder", settings)
    assert "sso_issuer" not in (settings.data_dir / "activity-log.jsonl").read_text()
    copied = tracker(folder, "store", "copy", "--to", pg_url)
    assert copied.returncode == 0, copied.stderr
    database = on_database(folder, pg_url)
    checked = tracker(database, "store", "check")
    assert checked.returncode == 0, checked.stderr
    with psycopg.connect(pg_url) as conn:
        conn.execute(
            'UPDATE tracker.records SET doc = doc || \'{"sso_issuer": "https://idp.example"}\' '
            "WHERE collection = 'users' AND id = 'ann'"
        )
    checked = tracker(database, "store", "check")
    assert (
        checked.returncode == 1 and "users/ann" in checked.stderr and "sso_issuer" in checked.stderr
    )


@pytest.fixture
def backend_folder(settings) -> Backend:
    """A small folder store: three vendors (one renamed), so three records and four log lines."""
    store = Store.open(settings)
    store.put_many([vendor(1), vendor(2)], actor="t", action="create")
    store.put(replace(vendor(1), name="廠商1改"), actor="t", action="rename")
    store.put(Vendor("v3", "廠商3", "04595257"), actor="t", action="create")
    backend = Backend("folder", settings)
    yield backend
    backend.close()


@pytest.fixture
def pg_backend(pg_settings) -> Backend:
    backend = Backend("postgres", pg_settings)
    yield backend
    backend.close()
