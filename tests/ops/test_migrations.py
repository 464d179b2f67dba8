"""Upgrades: a folder of the first released schema is migrated whole; a migration backs up, steps, logs.

Schema 1 (plain tables beside the log) is the first released layout; schema 2
makes the tables checkpoints of the log (:mod:`tracker.storage.schema2`).  The
first tests migrate the committed schema-1 folder (see
:mod:`tests.ops.schema1_fixture`) with today's code and check nothing is lost
and what the step corrects.  The others exercise the machinery with a step
registered by the test on top (schema 2 → a pretend schema 3).  Restoring a
pre-migration archive with the *previous* release cannot be run here (its code
is not in this tree); restoring it with this one migrates it again.
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
def pretend_schema3(monkeypatch):
    """Make the code believe the current schema is 3, with a step 2 → 3 that records what it saw."""
    seen = []

    def step(store):
        archives = list(store.root.parent.glob(f"{store.root.name}-before-schema1-*.zip"))
        seen.append(
            {"archives": archives, "vendors": [v.name for v in store.all(records()[1].__class__)]}
        )

    monkeypatch.setattr(migrations, "SCHEMA_VERSION", 3)
    monkeypatch.setitem(migrations.MIGRATIONS, 2, step)
    return seen


def test_a_schema_1_folder_is_refused_until_migrated_then_opens_with_every_record_and_log_line(
    schema1,
):
    with pytest.raises(StoreError, match="store migrate"):
        Store.open(schema1)  # the store alone never migrates without the backup
    status = run_cli(env_for(schema1), "status", "--json", "--date", "2026-11-27")
    assert status.returncode == 0, status.stderr  # the CLI upgrades first, as the app does
    assert {r["subject_id"] for r in json.loads(status.stdout)["rows"]} >= {"s-1", "c-1", "pc-1"}
    store = Store.open(schema1)
    for record in records():
        assert store.get(type(record), record.id) == record
    assert store.log.verify().ok and store.log.head().count == len(records()) + 1
    migrated = list(store.log.entries())[-1]
    assert migrated["action"] == "schema_migrated" and migrated["after"]["corrected"] == []
    assert store.meta["schema"] == migrations.SCHEMA_VERSION == 2
    assert BlobStore(schema1.evidence_dir).read(EVIDENCE_SHA256) == EVIDENCE_BYTES
    [archive] = schema1.data_dir.parent.glob("*before-schema1-*.zip")
    assert verify_backup(archive, backup_key(schema1)).ok
    before = tree_digest(schema1.data_dir)
    Store.open(schema1).all(records()[1].__class__)
    assert tree_digest(schema1.data_dir) == before  # opening the current schema changes nothing


def test_migrating_schema_1_takes_the_log_s_version_of_a_record_whose_table_disagrees(schema1):
    """Schema 1 could lose a table write after logging it; the log is the commit record."""
    table = schema1.data_dir / "tables" / "vendors" / "all.json"
    data = json.loads(table.read_text())
    data["vendors"]["v-a"]["name"] = "改過的名稱"
    table.write_text(json.dumps(data, ensure_ascii=False))
    (schema1.data_dir / "tables" / "staff" / "v-v-a.json").unlink()
    upgrade(schema1)
    store = Store.open(schema1)
    assert store.get(records()[1].__class__, "v-a") == records()[1]
    assert store.get(records()[3].__class__, "s-1") == records()[3]
    corrected = list(store.log.entries())[-1]["after"]["corrected"]
    assert corrected == ["staff/s-1", "vendors/v-a"]


def test_an_older_folder_is_migrated_only_after_a_verified_backup_and_each_step_is_logged(
    schema1, pretend_schema3
):
    archive_written = upgrade(schema1)
    store = Store.open(schema1)
    [step] = pretend_schema3
    assert len(step["archives"]) == 1  # the backup existed when the step ran
    assert step["vendors"] == ["北辰資訊股份有限公司"]
    archive = step["archives"][0]
    assert archive == archive_written
    assert verify_backup(archive, backup_key(schema1)).ok
    with zipfile.ZipFile(archive) as zf:
        assert json.loads(zf.read("data/meta.json"))["schema"] == 1
        assert f"evidence/00/{EVIDENCE_SHA256}" in zf.namelist()
    assert json.loads((schema1.data_dir / "meta.json").read_text())["schema"] == 3
    lines = [e for e in ActivityLog(schema1.data_dir).entries() if e["action"] == "schema_migrated"]
    assert [e["after"]["schema"] for e in lines] == [2, 3]
    assert lines[-1]["after"] == {"schema": 3, "backup": archive.name}
    assert lines[-1]["at"] and store.log.verify().ok
    for record in records():
        assert store.get(type(record), record.id) == record


def test_the_pre_migration_archive_restores_into_empty_folders_and_is_migrated_again(
    schema1, tmp_path
):
    archive = upgrade(schema1)
    target = Settings.for_folder(tmp_path / "back")
    result = run_cli(env_for(target), "backup", "restore", str(archive))
    assert result.returncode == 0, result.stderr
    assert json.loads((target.data_dir / "meta.json").read_text())["schema"] == 2
    assert tree_digest(target.evidence_dir) == tree_digest(schema1.evidence_dir)
    store = Store.open(target)
    for record in records():
        assert store.get(type(record), record.id) == record
    assert [e["action"] for e in store.log.entries()][-2:] == ["schema_migrated", "backup_restored"]


def test_a_missing_migration_step_refuses_to_open_and_leaves_the_folder_untouched(
    schema1, monkeypatch
):
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", 3)
    before = tree_digest(schema1.data_dir)
    with pytest.raises(StoreError, match="no migration from schema 2"):
        upgrade(schema1)
    with pytest.raises(StoreError, match="no migration from schema 2"):
        Store.open(schema1)
    assert tree_digest(schema1.data_dir) == before
    assert not list(Path(schema1.data_dir.parent).glob("*before-schema*"))


def test_schema_2_is_current_and_its_one_step_comes_from_schema_1():
    assert migrations.SCHEMA_VERSION == 2 and set(migrations.MIGRATIONS) == {1}
