"""Upgrades: a folder of the first released schema opens whole; a migration backs up, steps, logs.

Which is which, honestly: schema 1 is the first released layout *and* the
current one, so there is no real migration to run yet.  The first test opens
the committed schema-1 folder (see :mod:`tests.ops.schema1_fixture`) with
today's code and checks nothing is lost.  The others exercise the migration
machinery with a step registered by the test (schema 1 → a pretend schema 2).
"""

from __future__ import annotations

import json
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from tests.ops.conftest import env_for, run_cli
from tests.ops.schema1_fixture import EVIDENCE_BYTES, EVIDENCE_SHA256, FOLDER, records
from tests.ops.test_backup import tree_digest
from tracker.activitylog.log import ActivityLog
from tracker.core.config import Settings
from tracker.core.errors import StoreError
from tracker.ops.backupkey import backup_key
from tracker.ops.upgrade import upgrade
from tracker.ops.verify import verify_backup
from tracker.storage import migrations
from tracker.storage.blobs import BlobStore
from tracker.storage.store import Store


@pytest.fixture
def schema1(tmp_path, backup_key_file) -> Settings:
    """A private copy of the committed schema-1 folder (with the test's backup key)."""
    shutil.copytree(FOLDER, tmp_path / "old")
    return replace(Settings.for_folder(tmp_path / "old"), backup_key_file=backup_key_file)


@pytest.fixture
def pretend_schema2(monkeypatch):
    """Make the code believe the current schema is 2, with a step 1 → 2 that records what it saw."""
    seen = []

    def step(store):
        archives = list(store.root.parent.glob(f"{store.root.name}-before-schema1-*.zip"))
        seen.append(
            {"archives": archives, "vendors": [v.name for v in store.all(records()[1].__class__)]}
        )

    monkeypatch.setattr(migrations, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(migrations.MIGRATIONS, 1, step)
    return seen


def test_a_schema_1_folder_from_the_first_release_opens_with_every_record_and_log_line(schema1):
    before = tree_digest(schema1.data_dir)
    store = Store.open(schema1)
    for record in records():
        assert store.get(type(record), record.id) == record
    assert store.log.verify().ok and store.log.head().count == len(records())
    assert BlobStore(schema1.evidence_dir).read(EVIDENCE_SHA256) == EVIDENCE_BYTES
    assert store.meta["schema"] == 1
    assert tree_digest(schema1.data_dir) == before  # opening the current schema changes nothing
    assert not list(schema1.data_dir.parent.glob("*before-schema*"))
    status = run_cli(env_for(schema1), "status", "--json", "--date", "2026-11-27")
    assert status.returncode == 0, status.stderr
    assert {r["subject_id"] for r in json.loads(status.stdout)["rows"]} >= {"s-1", "c-1", "pc-1"}


def test_an_older_folder_is_migrated_only_after_a_verified_backup_and_each_step_is_logged(
    schema1, pretend_schema2
):
    with pytest.raises(StoreError, match="store migrate"):
        Store.open(schema1)  # the store alone never migrates without the backup
    archive_written = upgrade(schema1)
    store = Store.open(schema1)
    [step] = pretend_schema2
    assert len(step["archives"]) == 1  # the backup existed when the step ran
    assert step["vendors"] == ["北辰資訊股份有限公司"]
    archive = step["archives"][0]
    assert archive == archive_written
    assert verify_backup(archive, backup_key(schema1)).ok
    with zipfile.ZipFile(archive) as zf:
        assert json.loads(zf.read("data/meta.json"))["schema"] == 1
        assert f"evidence/00/{EVIDENCE_SHA256}" in zf.namelist()
    assert json.loads((schema1.data_dir / "meta.json").read_text())["schema"] == 2
    last = list(ActivityLog(schema1.data_dir).entries())[-1]
    assert last["action"] == "schema_migrated" and last["after"] == {
        "schema": 2,
        "backup": archive.name,
    }
    assert last["at"] and store.log.verify().ok
    for record in records():
        assert store.get(type(record), record.id) == record


def test_the_pre_migration_archive_restores_the_old_schema(
    schema1, pretend_schema2, tmp_path, monkeypatch
):
    upgrade(schema1)
    archive = pretend_schema2[0]["archives"][0]
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", 1)  # the previous version of the software
    target = Settings.for_folder(tmp_path / "back")
    result = run_cli(env_for(target), "backup", "restore", str(archive))
    assert result.returncode == 0, result.stderr
    assert json.loads((target.data_dir / "meta.json").read_text())["schema"] == 1
    assert tree_digest(target.evidence_dir) == tree_digest(schema1.evidence_dir)


def test_a_missing_migration_step_refuses_to_open_and_leaves_the_folder_untouched(
    schema1, monkeypatch
):
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", 3)
    monkeypatch.setitem(migrations.MIGRATIONS, 1, lambda store: None)
    before = tree_digest(schema1.data_dir)
    with pytest.raises(StoreError, match="no migration from schema 2"):
        upgrade(schema1)
    with pytest.raises(StoreError, match="no migration from schema 2"):
        Store.open(schema1)
    assert tree_digest(schema1.data_dir) == before
    assert not list(Path(schema1.data_dir.parent).glob("*before-schema*"))


def test_the_current_code_has_no_migration_step_because_schema_1_is_current():
    assert migrations.SCHEMA_VERSION == 1 and migrations.MIGRATIONS == {}
