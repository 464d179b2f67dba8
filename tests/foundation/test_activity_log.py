"""The activity log's hash chain catches any change, removal or reordering of lines."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tracker.activitylog.log import ActivityLog
from tracker.domain.vendors import Vendor
from tracker.storage.store import Store


@pytest.fixture
def logged(settings):
    store = Store.open(settings)
    for n in range(6):
        store.put(Vendor(f"v{n}", f"廠商{n}", "04595257"), actor="tester", action="create")
    return settings.data_dir / "activity-log.jsonl"


def lines(path):
    return path.read_bytes().splitlines(keepends=True)


def verify(path):
    return ActivityLog(path.parent).verify()


def test_an_untouched_log_verifies(logged):
    result = verify(logged)
    assert result.ok and result.lines == 6


def test_each_line_names_who_when_what_before_and_after(logged):
    import orjson

    entry = orjson.loads(lines(logged)[0])
    assert {
        "seq",
        "at",
        "actor",
        "action",
        "collection",
        "record",
        "before",
        "after",
        "prev_hash",
        "hash",
    } <= set(entry)
    assert (
        entry["actor"] == "tester" and entry["after"]["name"] == "廠商0" and entry["before"] is None
    )


@pytest.mark.parametrize("line_no", range(6))
def test_changing_one_byte_of_any_line_is_caught_at_that_line(logged, line_no):
    data = bytearray(logged.read_bytes())
    starts = [0] + [i + 1 for i, b in enumerate(data) if b == ord("\n")][:-1]
    target = data.index(b'"actor":"tester"', starts[line_no]) + len('"actor":"t')
    data[target] = ord("x")
    logged.write_bytes(bytes(data))
    result = verify(logged)
    assert not result.ok and result.line == line_no + 1


def test_removing_a_middle_line_is_caught(logged):
    content = lines(logged)
    logged.write_bytes(b"".join(content[:2] + content[3:]))
    result = verify(logged)
    assert not result.ok and result.line == 3


def test_swapping_two_lines_is_caught(logged):
    content = lines(logged)
    content[1], content[2] = content[2], content[1]
    logged.write_bytes(b"".join(content))
    assert verify(logged).line == 2


def test_removing_the_last_line_is_caught_by_the_recorded_head(logged):
    logged.write_bytes(b"".join(lines(logged)[:-1]))
    result = verify(logged)
    assert not result.ok and result.line == 6


def test_appending_a_forged_but_chained_line_is_caught_by_the_head(logged):
    import orjson

    from tracker.activitylog.chain import entry_hash

    last = orjson.loads(lines(logged)[-1])
    forged = {
        "seq": last["seq"] + 1,
        "at": last["at"],
        "actor": "intruder",
        "action": "x",
        "collection": None,
        "record": None,
        "before": None,
        "after": None,
        "prev_hash": last["hash"],
    }
    forged["hash"] = entry_hash(forged)
    with logged.open("ab") as fh:
        fh.write(orjson.dumps(forged) + b"\n")
    assert not verify(logged).ok


def test_the_chain_stays_whole_when_two_stores_append_in_turn(settings):
    a, b = Store.open(settings), Store.open(settings)
    for _ in range(5):
        a.record_event(actor="app", action="sign_in")
        b.record_event(actor="cli", action="import")
    assert a.log.verify().ok and a.log.verify().lines == 10


def test_the_cli_exits_zero_on_an_intact_log_and_names_the_bad_line_otherwise(logged, cli_env):
    run = [sys.executable, "-m", "tracker", "log", "verify"]
    ok = subprocess.run(run, env=cli_env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    data = bytearray(logged.read_bytes())
    data[data.index(b"\xe5\xbb\xa0") + 2] ^= (
        1  # one byte inside the third line's 廠 (first occurrence)
    )
    logged.write_bytes(bytes(data))
    bad = subprocess.run(run, env=cli_env, capture_output=True, text=True)
    assert bad.returncode == 1
    assert "line 1" in bad.stderr and "Traceback" not in bad.stderr


def test_verify_on_a_missing_data_folder_is_one_line_and_non_zero(cli_env, tmp_path):
    cli_env["TRACKER_DATA_DIR"] = str(tmp_path / "nowhere")
    result = subprocess.run(
        [sys.executable, "-m", "tracker", "log", "verify"],
        env=cli_env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_short_write_is_continued_until_every_byte_is_written(logged, monkeypatch):
    """os.write may accept fewer bytes than asked (a signal, a nearly full disk)."""
    import os

    from tracker.core import fileio

    real = os.write
    monkeypatch.setattr(fileio.os, "write", lambda fd, data: real(fd, bytes(data[:7])))
    store = Store.open(_settings(logged))
    store.record_event(actor="t", action="short_writes")
    monkeypatch.undo()
    assert verify(logged).ok and verify(logged).lines == 7


def test_a_failed_append_leaves_no_line_and_moves_no_head(logged, monkeypatch):
    import errno
    import os

    from tracker.core import fileio
    from tracker.core.errors import StoreError

    store = Store.open(_settings(logged))
    before, head = logged.read_bytes(), store.log.head()
    real = os.write

    def full_disk(fd, data):
        real(fd, bytes(data[:10]))  # part of the line reaches the file, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fileio.os, "write", full_disk)
    with pytest.raises(StoreError, match="disk is full"):
        store.put(Vendor("v9", "廠商9", "04595257"), actor="t", action="create")
    monkeypatch.undo()
    assert logged.read_bytes() == before and store.log.head() == head
    assert store.get(Vendor, "v9") is None
    store.put(Vendor("v9", "廠商9", "04595257"), actor="t", action="create")
    assert verify(logged).ok and verify(logged).lines == 7


def _settings(logged):
    from tracker.core.config import Settings

    return Settings.for_folder(logged.parent.parent)
