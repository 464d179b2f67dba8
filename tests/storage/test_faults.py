"""Faults injected into a data folder, as an operator or an attacker would: refused or repaired, never silent."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import orjson
import pytest

from tests.storage.conftest import run_cli, vendor
from tests.storage.test_contract import evidence
from tracker.activitylog.log import ActivityLog
from tracker.core.errors import IntegrityError
from tracker.domain.enums import ReviewState
from tracker.domain.evidence import Evidence
from tracker.domain.vendors import Vendor
from tracker.storage.blobs import BlobStore
from tracker.storage.checkpoint import MANIFEST_NAME
from tracker.storage.store import Store


@pytest.fixture
def filled(settings):
    """A folder with vendor a's and vendor b's evidence, checkpointed into table files."""
    store = Store.open(settings)
    sha = BlobStore(settings.evidence_dir).put(b"%PDF-1.4 a stand-in for a pledge")
    store.put_many([vendor(1, id="a"), vendor(2, id="b")], actor="t", action="create")
    records = [evidence(f"ev-a{n}", "a", sha256=sha) for n in range(3)]
    records += [
        evidence(
            f"ev-b{n}", "b", sha256=sha, state=ReviewState.APPROVED, valid_until=date(2025, 1, 1)
        )
        for n in range(26)
    ]
    store.put_many(records, actor="t", action="upload")
    store.checkpoint()
    return settings


def table(settings, collection="evidence", part="v-b"):
    return settings.data_dir / "tables" / collection / f"{part}.json"


def log_path(settings):
    return settings.data_dir / "activity-log.jsonl"


def head_path(settings):
    return settings.data_dir / "activity-log.head.json"


def rebuilt_notes(store):
    return [r for r in store.recoveries() if r["action"] == "store_table_rebuilt"]


# --- tables ------------------------------------------------------------------


def test_a_deleted_table_file_is_rebuilt_from_the_log_and_the_recovery_is_logged(filled):
    table(filled).unlink()
    store = Store.open(filled)
    assert len(store.all(Evidence, vendor="b")) == 26
    [note] = rebuilt_notes(store)
    assert note["details"]["tables"] == [{"partition": "v-b", "reason": "missing"}]
    assert list(store.log.entries())[-1]["action"] == "store_table_rebuilt"
    assert table(filled).exists() and store.log.verify().ok


def test_a_truncated_table_file_is_rebuilt_not_read_as_empty(filled):
    data = table(filled).read_bytes()
    table(filled).write_bytes(data[: len(data) // 2])
    store = Store.open(filled)
    assert len(store.all(Evidence, vendor="b")) == 26
    assert "truncated" in rebuilt_notes(store)[0]["details"]["tables"][0]["reason"]


def test_an_edited_value_in_a_table_is_caught_and_the_logged_value_is_read(filled):
    path = table(filled)
    path.write_bytes(
        path.read_bytes().replace(b'"valid_until":"2025-01-01"', b'"valid_until":"2026-01-01"', 1)
    )
    store = Store.open(filled)
    assert {e.valid_until for e in store.all(Evidence, vendor="b")} == {date(2025, 1, 1)}
    assert "edited" in rebuilt_notes(store)[0]["details"]["tables"][0]["reason"]


def forge_table(settings, old: bytes, new: bytes) -> None:
    """Edit a value and recompute every checksum the folder keeps, as a careful attacker would."""
    from tracker.storage.checkpoint import encode_table, read_table

    path = table(settings)
    current = read_table(path, "evidence")
    docs = orjson.loads(orjson.dumps(current.docs).replace(old, new, 1))
    data, listing = encode_table("evidence", docs, current.seq, current.hash)
    path.write_bytes(data)
    manifest = orjson.loads((settings.data_dir / MANIFEST_NAME).read_bytes())
    manifest["tables"]["evidence/v-b"] = listing.listing()
    (settings.data_dir / MANIFEST_NAME).write_bytes(orjson.dumps(manifest))


def test_an_edit_with_recomputed_checksums_is_named_by_store_check_and_undone_by_rebuild(filled):
    forge_table(filled, b'"valid_until":"2025-01-01"', b'"valid_until":"2026-01-01"')
    checked = run_cli(filled, "store", "check")
    assert checked.returncode == 1
    assert "tables/evidence/v-b.json" in checked.stderr and "valid_until" in checked.stderr
    assert "Traceback" not in checked.stderr
    rebuilt = run_cli(filled, "store", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert run_cli(filled, "store", "check").returncode == 0
    store = Store.open(filled)
    assert {e.valid_until for e in store.all(Evidence, vendor="b")} == {date(2025, 1, 1)}
    assert list(store.log.entries())[-1]["action"] == "store_rebuilt"


def test_store_check_of_an_untouched_folder_reports_it_consistent(filled):
    checked = run_cli(filled, "store", "check", "--json")
    assert checked.returncode == 0, checked.stderr
    report = json.loads(checked.stdout)
    assert report["ok"] and report["differences"] == [] and report["records"] == 31


def test_a_deleted_checkpoint_manifest_rebuilds_every_table_and_says_so(filled):
    (filled.data_dir / MANIFEST_NAME).unlink()
    table(filled).unlink()
    store = Store.open(filled)
    assert len(store.all(Evidence, vendor="b")) == 26
    assert [r["action"] for r in store.recoveries()] == ["store_tables_rebuilt"]


# --- the head ----------------------------------------------------------------


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda p: p.unlink(), id="deleted"),
        pytest.param(lambda p: p.write_bytes(b"\0" * 193), id="nul-filled"),
        pytest.param(lambda p: p.write_bytes(b'{"count": 3, "seq"'), id="garbled"),
    ],
)
def test_a_damaged_head_is_refused_with_one_line_naming_the_command_and_never_rebuilt(
    filled, damage
):
    damage(head_path(filled))
    before = head_path(filled).read_bytes() if head_path(filled).exists() else None
    with pytest.raises(IntegrityError, match="log verify --anchor"):
        Store.open(filled)
    status = run_cli(filled, "status")
    assert status.returncode == 2 and "Traceback" not in status.stderr
    assert len(status.stderr.strip().splitlines()) == 1 and "log verify" in status.stderr
    verify = run_cli(filled, "log", "verify")
    assert verify.returncode == 1 and "intact" not in verify.stdout
    after = head_path(filled).read_bytes() if head_path(filled).exists() else None
    assert after == before  # nothing rebuilt the head


def test_removing_the_last_lines_and_the_head_is_refused_not_reported_intact(filled):
    store = Store.open(filled)
    for n in range(5):
        store.put(vendor(10 + n), actor="t", action="create")
    lines = log_path(filled).read_bytes().splitlines(keepends=True)
    log_path(filled).write_bytes(b"".join(lines[:-5]))
    head_path(filled).unlink()
    assert run_cli(filled, "status").returncode == 2
    assert run_cli(filled, "log", "verify").returncode == 1
    assert not head_path(filled).exists()


def test_removing_the_last_lines_under_an_intact_head_is_refused(filled):
    lines = log_path(filled).read_bytes().splitlines(keepends=True)
    log_path(filled).write_bytes(b"".join(lines[:-1]))
    with pytest.raises(IntegrityError, match="shorter"):
        Store.open(filled)


def test_a_log_cut_back_before_the_checkpoint_with_a_matching_head_is_refused(filled):
    """The attacker rewrites the head to the shorter log; the checkpoint still knows better."""
    lines = log_path(filled).read_bytes().splitlines(keepends=True)
    kept = b"".join(lines[:-1])
    log_path(filled).write_bytes(kept)
    last = orjson.loads(lines[-2])
    ActivityLog(filled.data_dir).write_head(
        type(ActivityLog(filled.data_dir).head())(
            len(lines) - 1, last["seq"], last["hash"], len(kept)
        )
    )
    with pytest.raises(IntegrityError, match="checkpoint"):
        Store.open(filled)


def test_verify_with_an_anchor_from_a_backup_shows_the_log_no_longer_holds_it(filled, tmp_path):
    store = Store.open(filled)
    store.put(vendor(9), actor="t", action="create")
    anchor = store.log.head().hash
    ok = run_cli(filled, "log", "verify", "--anchor", anchor)
    assert ok.returncode == 0 and "anchor found" in ok.stdout
    lines = log_path(filled).read_bytes().splitlines(keepends=True)
    log_path(filled).write_bytes(b"".join(lines[:-1]))
    head_path(filled).unlink()
    cut = run_cli(filled, "log", "verify", "--anchor", anchor, "--json")
    assert cut.returncode == 1
    assert json.loads(cut.stdout)["anchor"] == {"hash": anchor, "seq": None}


def test_a_lost_head_is_written_again_only_with_an_anchor_the_log_holds(filled):
    store = Store.open(filled)
    anchor = store.log.head().hash
    head_path(filled).unlink()
    refused = run_cli(filled, "log", "reseal", "--anchor", "f" * 64)
    assert refused.returncode == 2 and not head_path(filled).exists()
    done = run_cli(filled, "log", "reseal", "--anchor", anchor)
    assert done.returncode == 0, done.stderr
    store = Store.open(filled)
    assert list(store.log.entries())[-1]["action"] == "log_head_resealed"
    assert store.log.verify().ok and len(store.all(Evidence)) == 29


# --- the end of the log --------------------------------------------------------


def test_a_torn_last_line_is_cut_logged_and_the_chain_goes_on_verifying(filled):
    store = Store.open(filled)
    head = store.log.head()
    with log_path(filled).open("ab") as fh:
        fh.write(b'{"at":"2026-01-01T00:00:00+08:00","actor":"x","act')
    reopened = Store.open(filled)
    assert [r["action"] for r in reopened.recoveries()] == ["log_tail_recovered"]
    assert reopened.recoveries()[0]["details"]["torn_bytes_cut"] > 0
    reopened.put(vendor(7), actor="t", action="create")
    assert reopened.log.verify().ok and reopened.log.head().count == head.count + 2
    assert run_cli(filled, "log", "verify").returncode == 0


def test_whole_lines_past_the_head_that_chain_on_are_taken_and_logged(filled):
    """A crash after the fsync, before the head moved: the change was durable."""
    store = Store.open(filled)
    head = store.log.head().__class__(**vars(store.log.head()))
    store.put(vendor(8), actor="t", action="create")
    ActivityLog(filled.data_dir).write_head(head)  # the head as it was before the append
    reopened = Store.open(filled)
    assert reopened.get(Vendor, "v8") == vendor(8)
    assert reopened.recoveries()[0]["details"]["lines_recovered"] == 1
    assert reopened.log.verify().ok


def test_a_forged_line_past_the_head_that_does_not_chain_is_refused(filled):
    with log_path(filled).open("ab") as fh:
        fh.write(b'{"seq":999,"prev_hash":"00","hash":"11","actor":"intruder"}\n')
    with pytest.raises(IntegrityError, match="does not chain"):
        Store.open(filled)


def test_an_edited_line_in_the_log_tail_is_refused_when_read(filled):
    store = Store.open(filled)
    store.put(replace(vendor(1, id="a"), name="甲改"), actor="t", action="rename")
    path = log_path(filled)
    path.write_bytes(path.read_bytes().replace("甲改".encode(), "乙改".encode()))
    with pytest.raises(IntegrityError, match="does not verify"):
        Store.open(filled)


def test_the_status_command_shows_a_recovery_the_store_made(filled):
    table(filled).unlink()
    status = run_cli(filled, "status", "--json")
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["recoveries"][0]["action"] == "store_table_rebuilt"
    text = run_cli(filled, "status")
    assert "store_table_rebuilt" in text.stdout


def test_recoveries_older_than_thirty_days_are_no_longer_shown(filled, monkeypatch):
    from tracker.core import clock

    table(filled).unlink()
    Store.open(filled).all(Evidence)
    later = clock.now() + timedelta(days=31)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert Store.open(filled).recoveries() == []
