"""Threads and processes on one store (a folder, a database): no lost update, no stale read after an acknowledgement."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
from dataclasses import replace

import pytest

from tests.storage.conftest import open_shared, start_worker, vendor
from tests.storage.worker import bump
from tracker.domain.vendors import Vendor
from tracker.services.compliance import compliance_report
from tracker.storage.store import Store


def test_a_second_store_on_the_same_data_sees_the_firsts_writes_at_once(shared_settings):
    first, second = open_shared(shared_settings), open_shared(shared_settings)
    assert second.all(Vendor) == []  # loaded (and cached) before the other writes
    first.put(vendor(1), actor="a", action="create")
    assert second.get(Vendor, "v1") == vendor(1)
    second.put(replace(vendor(1), name="乙改"), actor="b", action="edit")
    assert first.get(Vendor, "v1").name == "乙改"
    second.put(vendor(2), actor="b", action="create")
    assert {v.id for v in first.all(Vendor)} == {"v1", "v2"}
    assert first.log.verify().ok


def test_a_write_acknowledged_by_another_process_is_seen_by_the_next_read(shared_settings):
    reader = open_shared(shared_settings)
    assert reader.all(Vendor) == []
    for n in range(1, 6):
        proc = start_worker("vendors", shared_settings, f"w{n}", n)
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        for line in out.splitlines():
            assert reader.get(Vendor, line.split()[1]) is not None, line
    assert len(reader.all(Vendor)) == 15


def test_a_write_here_is_seen_by_a_reader_in_another_process_that_read_before(shared_settings):
    store = open_shared(shared_settings)
    store.put(vendor(0), actor="t", action="create")
    proc = start_worker("watch", shared_settings, "r", stdin=subprocess.PIPE)
    try:
        for n in range(1, 8):
            store.put(vendor(n), actor="t", action="create")
            proc.stdin.write(f"v{n}\n")
            proc.stdin.flush()
            assert proc.stdout.readline().split() == ["seen", f"v{n}", "True"]
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)


def test_the_shared_report_follows_a_write_made_by_another_process(shared_settings):
    store = open_shared(shared_settings)
    store.put(vendor(1), actor="t", action="create")
    first = compliance_report(store)
    assert compliance_report(store) is first
    proc = start_worker("vendors", shared_settings, "w", 1)
    proc.communicate(timeout=120)
    assert compliance_report(store) is not first
    assert compliance_report(store, cached=False) is not compliance_report(store)


@pytest.mark.slow
def test_sigkill_at_twenty_random_moments_never_loses_an_acknowledged_write(shared_settings):
    rng = random.Random(7)
    acked: list[str] = []
    for round_no in range(20):
        proc = start_worker("vendors", shared_settings, f"r{round_no}")
        first = proc.stdout.readline()
        assert first.startswith("ack"), first
        acked.append(first.split()[1])
        deadline = time.monotonic() + rng.uniform(0.0, 0.25)
        os.set_blocking(proc.stdout.fileno(), False)
        while time.monotonic() < deadline:
            time.sleep(0.002)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        rest = proc.stdout.read() or ""
        acked += [
            w.split()[1] for w in rest.splitlines() if w.startswith("ack ") and len(w.split()) == 2
        ]
        store = open_shared(shared_settings)
        ids = {v.id for v in store.all(Vendor)}
        missing = [a for a in acked if a not in ids]
        assert not missing, f"round {round_no}: lost {missing[:5]}"
        assert store.log.verify().ok, store.log.verify()
    assert len(acked) > 20


@pytest.mark.slow
def test_eight_threads_and_two_processes_lose_no_update(shared_settings):
    store = open_shared(shared_settings)
    store.put(Vendor("counter", "計數", "04595257", "0"), actor="t", action="create")
    procs = [start_worker("count", shared_settings, f"p{n}", 200) for n in range(2)]

    def work(name: str) -> None:
        for n in range(200):
            bump(store, name)
            store.put(
                Vendor(f"{name}-{n}", name, "04595257"), actor=name, action="concurrency_test"
            )

    threads = [threading.Thread(target=work, args=(f"t{n}",)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in procs:
        p.communicate(timeout=600)
        assert p.returncode == 0
    fresh = open_shared(shared_settings)
    assert fresh.get(Vendor, "counter").contact == str(10 * 200)
    assert len(fresh.all(Vendor)) == 1 + 10 * 200
    assert store.get(Vendor, "counter").contact == "2000"
    verification = fresh.log.verify()
    assert verification.ok and verification.lines == 1 + 10 * 200 * 2


def test_checkpoints_written_by_two_processes_in_turn_keep_every_record(settings, monkeypatch):
    monkeypatch.setattr(Store, "CHECKPOINT_LINES", 3)
    a, b = Store.open(settings), Store.open(settings)
    for n in range(12):
        (a if n % 2 else b).put(vendor(n), actor="t", action="create")
    assert {v.id for v in Store.open(settings).all(Vendor)} == {f"v{n}" for n in range(12)}
    assert {v.id for v in a.all(Vendor)} == {v.id for v in b.all(Vendor)}


def test_a_process_that_created_the_log_notices_when_another_replaces_it(settings):
    """A purge or a restore replaces the log file: a long-running process reads the new one."""
    import shutil

    first = Store.open(settings)
    first.put(vendor(1), actor="a", action="create")
    before = first.position()
    log = settings.data_dir / "activity-log.jsonl"
    shutil.copy2(log, log.with_name("copy"))
    log.with_name("copy").replace(log)  # the same lines in a new file, as a purge writes one
    first.put(vendor(2), actor="a", action="create")
    assert first.position()[0] != before[0] and first.log.verify().ok
    assert {v.id for v in Store.open(settings).all(Vendor)} == {"v1", "v2"}
