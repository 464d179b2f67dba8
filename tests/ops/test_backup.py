"""Backups: one archive that verifies, restores to the same state, and refuses hostile input."""

from __future__ import annotations

import hashlib
import json
import stat
import subprocess
import sys
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from tests.ops.conftest import ROOT, env_for, run_cli
from tracker.activitylog.log import ActivityLog
from tracker.core import clock
from tracker.core.config import Settings
from tracker.domain.evidence import Evidence
from tracker.domain.vendors import Vendor
from tracker.ops.archive import MANIFEST
from tracker.ops.backup import create_backup
from tracker.ops.backupkey import backup_key, manifest_mac
from tracker.ops.verify import verify_backup
from tracker.storage import migrations
from tracker.storage.store import Store


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (lock files aside) by relative path, with its SHA-256."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def rewrite_zip(source: Path, target: Path, change) -> None:
    """Copy an archive member by member; ``change(name, data)`` returns new bytes or ``None`` to drop it."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = change(info.filename, src.read(info))
            if data is not None:
                dst.writestr(info, data)


def resign(manifest: dict, settings: Settings) -> None:
    """Sign an edited manifest with the installation's key, as one who holds the key could."""
    manifest["hmac"] = manifest_mac(backup_key(settings), manifest)


def flip_byte_of_member(archive: Path, name: str) -> None:
    """Flip one byte in the middle of a member's stored bytes, in place."""
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo(name)
    raw = bytearray(archive.read_bytes())
    name_len, extra_len = (
        int.from_bytes(raw[info.header_offset + 26 : info.header_offset + 28], "little"),
        int.from_bytes(raw[info.header_offset + 28 : info.header_offset + 30], "little"),
    )
    start = info.header_offset + 30 + name_len + extra_len
    raw[start + info.compress_size // 2] ^= 0x01
    archive.write_bytes(bytes(raw))


@pytest.fixture
def archive(world, tmp_path) -> Path:
    out = tmp_path / "backup.zip"
    create_backup(world.settings, out, store=world.store)
    return out


def test_a_restored_backup_of_the_demo_data_prints_exactly_the_same_status(demo, tmp_path):
    day = clock.today().isoformat()
    before = run_cli(env_for(demo), "status", "--json", "--date", day)
    assert before.returncode == 0, before.stderr
    out = tmp_path / "demo-backup.zip"
    started = time.monotonic()
    created = run_cli(env_for(demo), "backup", "create", "--out", str(out))
    elapsed = time.monotonic() - started
    assert created.returncode == 0, created.stderr
    restored_to = Settings.for_folder(tmp_path / "restored")
    restored = run_cli(env_for(restored_to), "backup", "restore", str(out))
    assert restored.returncode == 0, restored.stderr
    after = run_cli(env_for(restored_to), "status", "--json", "--date", day)
    assert after.stdout == before.stdout
    assert tree_digest(restored_to.evidence_dir) == tree_digest(demo.evidence_dir)
    assert run_cli(env_for(restored_to), "log", "verify").returncode == 0
    print(f"backup create of the demo data took {elapsed:.2f} s (CLI, including start-up)")


def test_verify_accepts_an_untouched_archive_and_reports_the_log_head(world, archive, env):
    result = run_cli(env, "backup", "verify", str(archive), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["problems"] == []
    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read(MANIFEST))
    noted = list(ActivityLog(world.settings.data_dir).entries())[-1]
    assert noted["action"] == "backup_created"
    assert manifest["activity_log"]["hash"] == noted["after"]["log_hash"] == noted["prev_hash"]
    assert manifest["schema"] == migrations.SCHEMA_VERSION
    names = {e["path"] for e in manifest["files"]}
    assert {"data/meta.json", "data/activity-log.jsonl", "data/activity-log.head.json"} <= names
    assert not any(n.endswith(".lock") for n in names)
    assert {f"evidence/{sha[:2]}/{sha}" for sha in world.blobs.all()} <= names


def test_the_archive_holds_every_file_of_both_folders_with_its_sha256_and_size(world, archive):
    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read(MANIFEST))
        for entry in manifest["files"]:
            data = zf.read(entry["path"])
            assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["size"], entry["sha256"])
    on_disk = {f"data/{k}" for k in tree_digest(world.settings.data_dir)} | {
        f"evidence/{k}" for k in tree_digest(world.settings.evidence_dir)
    }
    assert {e["path"] for e in manifest["files"]} == on_disk


@pytest.mark.parametrize("member", ["evidence", "data/activity-log.jsonl", "table"])
def test_a_flipped_byte_inside_the_archive_is_caught_and_the_damaged_file_named(
    world, archive, env, member
):
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
    name = {
        "evidence": next(n for n in names if n.startswith("evidence/")),
        "table": next(n for n in names if n.startswith("data/tables/evidence/")),
    }.get(member, member)
    flip_byte_of_member(archive, name)
    result = run_cli(env, "backup", "verify", str(archive))
    assert result.returncode == 1
    assert name in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_and_an_extra_member_are_each_named_on_their_own_line(
    world, archive, env, tmp_path
):
    changed = tmp_path / "changed.zip"
    victim = "data/meta.json"
    rewrite_zip(archive, changed, lambda name, data: None if name == victim else data)
    with zipfile.ZipFile(changed, "a") as zf:
        zf.writestr("evidence/zz/intruder", b"not listed")
    result = run_cli(env, "backup", "verify", str(changed))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert any(line.startswith(f"{victim}:") and "missing" in line for line in lines)
    assert any(line.startswith("evidence/zz/intruder:") and "extra" in line for line in lines)


def test_an_edited_activity_log_with_a_matching_manifest_is_caught_by_the_chain_check(
    world, archive, tmp_path
):
    """Even with the backup key (the manifest re-signed), whoever edits a line can fix its
    hash, but not the chain."""
    changed = tmp_path / "edited.zip"
    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read(MANIFEST))
        log = zf.read("data/activity-log.jsonl").replace(
            "北辰資訊".encode(), "南辰資訊".encode(), 1
        )
    for entry in manifest["files"]:
        if entry["path"] == "data/activity-log.jsonl":
            entry.update(size=len(log), sha256=hashlib.sha256(log).hexdigest())

    resign(manifest, world.settings)

    def change(name, data):
        return {"data/activity-log.jsonl": log, MANIFEST: json.dumps(manifest).encode()}.get(
            name, data
        )

    rewrite_zip(archive, changed, change)
    check = verify_backup(changed, backup_key(world.settings))
    assert not check.ok
    assert check.problems[0].startswith("data/activity-log.jsonl: 雜湊鏈驗證失敗")


@pytest.mark.parametrize(
    "evil",
    [
        "data/../../escaped.txt",
        "../escaped.txt",
        "/tmp/escaped-absolute.txt",
        "data\\..\\escaped.txt",
        "evidence/./x",
    ],
)
def test_an_archive_with_a_path_traversal_member_is_refused_and_nothing_is_written(
    world, archive, tmp_path, evil
):
    hostile = tmp_path / "hostile.zip"
    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read(MANIFEST))
    manifest["files"].append(
        {"path": evil, "size": 3, "sha256": hashlib.sha256(b"owned").hexdigest()}
    )
    resign(manifest, world.settings)  # the name rule holds even for an archive of our own key

    def change(name, data):
        return json.dumps(manifest).encode() if name == MANIFEST else data

    rewrite_zip(archive, hostile, change)
    with zipfile.ZipFile(hostile, "a") as zf:
        zf.writestr(evil, b"owned")
    target = Settings.for_folder(tmp_path / "target")
    result = run_cli(env_for(target), "backup", "restore", str(hostile))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert not target.data_dir.exists() and not target.evidence_dir.exists()
    assert (
        not (tmp_path / "escaped.txt").exists() and not Path("/tmp/escaped-absolute.txt").exists()
    )
    assert "路徑" in result.stderr or "path" in result.stderr


def test_a_symlink_member_is_refused(world, archive, tmp_path):
    hostile = tmp_path / "symlink.zip"
    rewrite_zip(archive, hostile, lambda name, data: data)
    link = zipfile.ZipInfo("data/tables/link")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(hostile, "a") as zf:
        zf.writestr(link, "/etc/passwd")
    check = verify_backup(hostile, backup_key(world.settings))
    assert any(p.startswith("data/tables/link:") and "symlink" in p for p in check.problems)


def test_restore_into_a_folder_that_is_not_empty_is_refused_and_the_folder_left_alone(
    archive, tmp_path
):
    target = Settings.for_folder(tmp_path / "busy")
    target.data_dir.mkdir(parents=True)
    (target.data_dir / "notes.txt").write_text("keep me")
    result = run_cli(env_for(target), "backup", "restore", str(archive))
    assert result.returncode == 2
    assert "not empty" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert [p.name for p in target.data_dir.iterdir()] == ["notes.txt"]
    assert not target.evidence_dir.exists()


def test_restore_into_existing_empty_folders_fills_them(world, archive, tmp_path):
    target = Settings.for_folder(tmp_path / "empty")
    target.data_dir.mkdir(parents=True)
    target.evidence_dir.mkdir(parents=True)
    assert run_cli(env_for(target), "backup", "restore", str(archive)).returncode == 0
    assert tree_digest(target.evidence_dir) == tree_digest(world.settings.evidence_dir)
    restored = Store.open(target)
    assert sorted(e.id for e in restored.all(Evidence)) == sorted(
        e.id for e in world.store.all(Evidence)
    )
    assert restored.log.verify().ok
    assert [e["action"] for e in restored.log.entries()][-1] == "backup_restored"
    assert not [p for p in target.data_dir.iterdir() if p.name.startswith(".restore-")]


def test_a_restore_that_fails_half_way_leaves_both_folders_as_they_were(
    archive, tmp_path, monkeypatch, backup_key_file
):
    from tracker.ops import restore

    original = restore._extract

    def failing(zf, entry, staging, top):
        if top == "evidence":
            raise OSError("disk full")
        original(zf, entry, staging, top)

    monkeypatch.setattr(restore, "_extract", failing)
    target = replace(Settings.for_folder(tmp_path / "half"), backup_key_file=backup_key_file)
    target.evidence_dir.mkdir(parents=True)
    with pytest.raises(OSError, match="disk full"):
        restore.restore_backup(archive, target)
    assert not target.data_dir.exists()
    assert list(target.evidence_dir.iterdir()) == []


def test_backup_create_refuses_to_overwrite_an_existing_file(world, env, tmp_path):
    out = tmp_path / "exists.zip"
    out.write_bytes(b"old")
    result = run_cli(env, "backup", "create", "--out", str(out))
    assert result.returncode == 2 and "already exists" in result.stderr
    assert out.read_bytes() == b"old"


def test_backup_create_into_a_folder_names_the_archive_by_the_time(world, env, tmp_path):
    folder = tmp_path / "archives"
    folder.mkdir()
    result = run_cli(env, "backup", "create", "--out", str(folder), "--json")
    assert result.returncode == 0, result.stderr
    written = Path(json.loads(result.stdout)["file"])
    assert (
        written.parent == folder
        and written.name.startswith("tracker-backup-")
        and written.suffix == ".zip"
    )


@pytest.mark.parametrize("content", [None, b"this is not a zip file", b""])
def test_verifying_or_restoring_something_that_is_not_an_archive_gives_one_line_and_no_traceback(
    env, tmp_path, content
):
    path = tmp_path / "bogus.zip"
    if content is not None:
        path.write_bytes(content)
    for command in ("verify", "restore"):
        result = run_cli(env, "backup", command, str(path))
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        assert "bogus.zip" in result.stderr


def test_a_backup_taken_while_another_process_writes_is_consistent(world, tmp_path):
    """The table files and the log are read under the store's lock: every vendor in the log is in the tables."""
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            WRITER,
            str(world.settings.data_dir),
            str(world.settings.evidence_dir),
        ],
        cwd=ROOT,
    )
    try:
        archives = []
        for n in range(4):
            time.sleep(0.3)
            out = tmp_path / f"during-{n}.zip"
            create_backup(world.settings, out, store=world.store, record=False)
            archives.append(out)
    finally:
        writer.terminate()
        writer.wait(timeout=30)
    seen = []
    for n, out in enumerate(archives):
        assert verify_backup(out, backup_key(world.settings)).ok
        target = Settings.for_folder(tmp_path / f"restored-{n}")
        run_cli(env_for(target), "backup", "restore", str(out)).check_returncode()
        restored = Store.open(target)
        logged = {e["record"] for e in restored.log.entries() if e.get("action") == "writer_put"}
        stored = {v.id for v in restored.all(Vendor) if v.id.startswith("w-")}
        assert logged == stored
        seen.append(len(stored))
    assert seen[-1] > 0, "the writer never wrote while the backups ran"


WRITER = """
import sys
import time
from pathlib import Path
from tracker.core.config import Settings
from tracker.domain.vendors import Vendor
from tracker.storage.store import Store

store = Store.open(Settings(Path(sys.argv[1]), Path(sys.argv[2])))
for n in range(100000):
    store.put(Vendor(f"w-{n}", f"writer {n}", "04595257"), actor="writer", action="writer_put")
    time.sleep(0.002)  # a busy app, not a tight loop: filelock polls, so a tight loop starves other takers
"""
