"""``backup create / verify / restore`` of a PostgreSQL deployment: the database and its folders."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from dataclasses import replace

import psycopg
import pytest

from tests.backends.conftest import Backend, vendor
from tests.backends.test_contract import evidence
from tracker.core.config import Settings
from tracker.domain.users import AppUser
from tracker.domain.vendors import Vendor
from tracker.storage.blobs import BlobStore

EVIDENCE = b"%PDF-1.7 evidence"


def tracker(backend: Backend, *args: str):
    return backend.run("-m", "tracker", *args)


def second_database(pg_server, request) -> str:
    name = "t2_" + str(abs(hash(request.node.nodeid)))[:12]
    pg_server.drop_database(name)
    request.addfinalizer(lambda: pg_server.drop_database(name))
    return pg_server.create_database(name)


@pytest.fixture
def source(pg_settings) -> Backend:
    """A database deployment: vendors (one name with a NUL), a user (a secret field), an event,
    an evidence record and its file, a trust root, and an old folder store's log in the folder."""
    backend = Backend("postgres", pg_settings)
    store = backend.open()
    store.put_many([vendor(1), vendor(2, name="含\x00空字元")], actor="t", action="create")
    store.put(AppUser("ann", "it_office", "$argon2id$v=19$secret"), actor="t", action="create")
    store.record_event(actor="ann", action="signed_in")
    sha = BlobStore(pg_settings.evidence_dir).put(EVIDENCE)
    store.put(evidence("e1", "v1", sha256=sha), actor="vendor.a", action="evidence_uploaded")
    (pg_settings.data_dir / "trust").mkdir(parents=True)
    (pg_settings.data_dir / "trust" / "root.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    (pg_settings.data_dir / "activity-log.jsonl").write_text("an old folder store's log\n")
    yield backend
    backend.close()


def test_a_database_deployment_is_backed_up_verified_and_restored_into_an_empty_database(
    source, pg_server, request, tmp_path
):
    archive = tmp_path / "b.zip"
    made = tracker(source, "backup", "create", "--out", str(archive), "--json")
    assert made.returncode == 0, made.stderr
    assert tracker(source, "backup", "verify", str(archive)).returncode == 0
    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        names = set(zf.namelist())
        archived_log = zf.read("data/activity-log.jsonl")
    assert manifest["backend"] == "postgresql"
    assert {"data/database/records.jsonl", "data/trust/root.pem"} <= names
    assert archived_log == b"".join(source.open().log.raw_lines())[: len(archived_log)]
    target = Backend(
        "postgres",
        replace(
            Settings.for_folder(tmp_path / "restored"),
            database_url=second_database(pg_server, request),
        ),
    )
    request.addfinalizer(target.close)
    restored = tracker(target, "backup", "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    store, original = target.open(), source.open()
    for cls in (Vendor, AppUser):
        assert sorted(store.all(cls), key=lambda r: r.id) == sorted(
            original.all(cls), key=lambda r: r.id
        )
    assert store.log.verify().ok
    assert [e["action"] for e in store.log.entries()][-1] == "backup_restored"
    assert BlobStore(target.settings.evidence_dir).read(hashlib.sha256(EVIDENCE).hexdigest())
    assert not (target.settings.data_dir / "activity-log.jsonl").exists()  # it went to the database
    assert (target.settings.data_dir / "trust" / "root.pem").exists()
    check = tracker(target, "store", "check")
    assert check.returncode == 0, check.stderr


def test_a_restore_into_a_database_that_is_not_empty_is_refused_and_changes_nothing(
    source, tmp_path
):
    archive = tmp_path / "b.zip"
    assert tracker(source, "backup", "create", "--out", str(archive)).returncode == 0
    target = Backend("postgres", replace(source.settings, data_dir=tmp_path / "d2",
                                         evidence_dir=tmp_path / "e2"))  # fmt: skip
    result = tracker(target, "backup", "restore", str(archive))
    assert result.returncode == 2 and "不是空的" in result.stderr
    assert not (tmp_path / "d2").exists() or not any((tmp_path / "d2").iterdir())
    assert len(source.open().all(Vendor)) == 2


def test_an_archive_is_restored_only_into_the_backend_it_came_from(source, tmp_path):
    archive = tmp_path / "b.zip"
    assert tracker(source, "backup", "create", "--out", str(archive)).returncode == 0
    as_folder = Backend("folder", Settings.for_folder(tmp_path / "folder"))
    refused = tracker(as_folder, "backup", "restore", str(archive))
    assert refused.returncode == 2 and "TRACKER_DATABASE_URL" in refused.stderr
    folder = Backend("folder", Settings.for_folder(tmp_path / "plain"))
    folder.open().put(vendor(1), actor="t", action="create")
    folder_archive = tmp_path / "f.zip"
    assert tracker(folder, "backup", "create", "--out", str(folder_archive)).returncode == 0
    shutil.rmtree(source.settings.data_dir)
    shutil.rmtree(source.settings.evidence_dir)
    refused = tracker(source, "backup", "restore", str(folder_archive))
    assert refused.returncode == 2 and "store copy" in refused.stderr


def test_a_changed_byte_in_the_archived_rows_fails_verification(source, tmp_path):
    archive = tmp_path / "b.zip"
    assert tracker(source, "backup", "create", "--out", str(archive)).returncode == 0
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(damaged, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "data/database/records.jsonl":
                data = data.replace(b"v1", b"v9", 1)
            dst.writestr(info, data)
    result = tracker(source, "backup", "verify", str(damaged))
    assert result.returncode == 1 and "records.jsonl" in result.stderr


def test_the_backup_is_consistent_while_another_replica_writes(source, tmp_path, pg_url):
    import threading

    archive, stop = tmp_path / "b.zip", threading.Event()
    writer = source.open()

    def write() -> None:
        n = 10
        while not stop.is_set():
            n += 1
            writer.put(vendor(n), actor="w", action="create")

    thread = threading.Thread(target=write)
    thread.start()
    try:
        made = tracker(source, "backup", "create", "--out", str(archive))
    finally:
        stop.set()
        thread.join()
    assert made.returncode == 0, made.stderr
    assert tracker(source, "backup", "verify", str(archive)).returncode == 0
    with zipfile.ZipFile(archive) as zf:
        rows = [json.loads(line) for line in zf.read("data/database/records.jsonl").splitlines()]
        lines = zf.read("data/activity-log.jsonl").splitlines()
    logged = {json.loads(line).get("record") for line in lines}
    assert {r["id"] for r in rows} <= logged  # every archived row has its line in the archive
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM tracker.records").fetchone()[0] >= len(rows)
