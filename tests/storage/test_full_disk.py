"""A full disk (a small tmpfs mounted for the test): every failed write changes nothing, and says so.

CI runs as root and can mount; where mounting is impossible the tests are
skipped with the reason in the output.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.storage.conftest import run_cli, vendor
from tests.storage.world import pledge, query_log_csv, seed
from tracker.core.config import Settings
from tracker.core.errors import StoreError
from tracker.domain.audits import QueryLogImport
from tracker.domain.enums import SubjectKind
from tracker.domain.evidence import Evidence
from tracker.domain.vendors import Vendor
from tracker.storage.blobs import BlobStore
from tracker.storage.check import check_store
from tracker.storage.store import Store

pytestmark = pytest.mark.slow


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB tmpfs holding the data and evidence folders."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(
            f"cannot mount a tmpfs here ({done.stderr.strip() or 'not root'}): full-disk tests skipped"
        )
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """Fill the disk up to ``leave`` free bytes with a file the test removes later."""
    filler = disk / f"filler-{uuid.uuid4().hex}"
    with filler.open("wb") as fh:
        try:
            while True:
                free = shutil.disk_usage(disk).free
                if free <= leave:
                    break
                fh.write(b"\0" * min(free - leave, 1 << 16))
                fh.flush()
        except OSError:
            pass
    return filler


def snapshot(settings: Settings) -> dict:
    """Every file's bytes under the data and evidence folders (the lock file aside)."""
    out = {}
    for root in (settings.data_dir, settings.evidence_dir):
        for path in sorted(root.rglob("*")) if root.exists() else ():
            if path.is_file() and path.name != ".lock":
                out[str(path)] = path.read_bytes()
    return out


@pytest.mark.parametrize("checkpoint_every", [1000, 5])
def test_writes_that_hit_a_full_disk_leave_no_entry_and_a_chain_that_verifies_once_space_is_back(
    small_disk, checkpoint_every, monkeypatch
):
    """With checkpoints every 5 lines, table writes hit the full disk too (after a commit)."""
    monkeypatch.setattr(Store, "CHECKPOINT_LINES", checkpoint_every)
    settings = Settings.for_folder(small_disk)
    store = Store.open(settings)
    acknowledged = []
    filler = fill(small_disk, 40_000)
    failures = 0
    for n in range(400):
        record = vendor(n, contact="聯絡人" * 40)
        before = snapshot(settings)
        try:
            store.put(record, actor="t", action="create")
        except StoreError as exc:
            failures += 1
            assert "disk is full" in exc.message_en and "磁碟空間不足" in exc.message_zh
            assert snapshot(settings) == before  # nothing changed, not even a partial line
            assert store.get(Vendor, record.id) is None
            continue
        acknowledged.append(record.id)
    assert failures >= 30 and acknowledged
    filler.unlink()
    store.put(vendor(999), actor="t", action="after")
    fresh = Store.open(settings)
    assert {v.id for v in fresh.all(Vendor)} == {*acknowledged, "v999"}
    assert fresh.log.verify().ok and check_store(fresh).ok


def test_at_zero_bytes_free_a_write_fails_whole_and_the_next_one_after_freeing_space_chains_on(
    small_disk,
):
    settings = Settings.for_folder(small_disk)
    store = Store.open(settings)
    store.put(vendor(1), actor="t", action="create")
    filler = fill(small_disk, 0)
    before = snapshot(settings)
    with pytest.raises(StoreError, match="disk is full"):
        store.put(vendor(2, contact="x" * 20_000), actor="t", action="create")
    assert snapshot(settings) == before
    filler.unlink()
    store.put(vendor(3), actor="t", action="create")
    reopened = Store.open(settings)
    assert [v.id for v in reopened.all(Vendor)] == ["v1", "v3"]
    assert reopened.log.verify().ok and reopened.recoveries() == []


def test_an_upload_and_an_import_on_a_full_disk_keep_no_file_and_no_line(small_disk):
    from tracker.services.evidence import upload_evidence
    from tracker.services.log_imports import import_query_log, log_store

    settings = Settings.for_folder(small_disk)
    store, blobs = Store.open(settings), BlobStore(settings.evidence_dir)
    seed(store)
    data, export = pledge("full"), query_log_csv("full", rows=2000)
    filler = fill(small_disk, 20_000)
    lines = store.log.head().count
    with pytest.raises(StoreError, match="disk is full"):
        upload_evidence(
            store,
            blobs,
            "vendor.a",
            kind="staff_pledge",
            data=data,
            filename="p.pdf",
            subject_kind=SubjectKind.VENDOR_STAFF,
            subject_id="s1",
        )
    with pytest.raises(StoreError, match="disk is full"):
        import_query_log(
            store,
            log_store(settings),
            blobs,
            "admin",
            agency_id="ag",
            data=export,
            filename="q.csv",
        )
    assert store.log.head().count == lines and blobs.all() == []
    assert store.all(Evidence) == [] and store.all(QueryLogImport) == []
    filler.unlink()
    assert check_store(Store.open(settings), blobs, log_store(settings)).ok
    import_query_log(
        store, log_store(settings), blobs, "admin", agency_id="ag", data=export, filename="q.csv"
    )  # the retry works: nothing of the failed import is in the way


def test_the_cli_on_a_full_disk_says_so_in_one_line_and_exits_2(small_disk):
    settings = Settings(
        data_dir=small_disk / "data",
        evidence_dir=small_disk / "evidence",
        trust_dir=small_disk / "trust",
    )
    seed(Store.open(settings))
    export = small_disk.parent / "export.csv"
    export.write_bytes(query_log_csv("cli", rows=2000))
    filler = fill(small_disk, 10_000)
    result = run_cli(settings, "logs", "import", str(export), "--agency", "ag")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "磁碟空間不足" in result.stderr and "disk is full" in result.stderr
    filler.unlink()
    os.sync()
    assert run_cli(settings, "store", "check").returncode == 0
