"""The store keeps every acknowledged write, across threads, processes and crashes."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from tests.foundation.store_worker import bump
from tracker.core import clock
from tracker.core.config import Settings
from tracker.domain.enums import ReviewState, SubjectKind
from tracker.domain.evidence import Evidence
from tracker.domain.vendors import Contract, Vendor
from tracker.storage.store import Store

WORKER = Path(__file__).with_name("store_worker.py")


@pytest.fixture(params=["memory", "json"])
def store(request, settings: Settings) -> Store:
    return Store.in_memory() if request.param == "memory" else Store.open(settings)


def vendor(n: int, vendor_id: str | None = None) -> Vendor:
    return Vendor(vendor_id or f"v{n}", f"廠商{n}", "04595257")


def test_a_record_put_is_returned_by_id_as_an_equal_domain_record(store):
    record = vendor(1)
    store.put(record, actor="t", action="create")
    assert store.get(Vendor, "v1") == record
    assert store.get(Vendor, "missing") is None


def test_putting_a_record_again_replaces_it_and_logs_before_and_after(store):
    store.put(vendor(1), actor="t", action="create")
    store.put(replace(vendor(1), name="改名"), actor="t", action="rename")
    assert store.get(Vendor, "v1").name == "改名"
    last = list(store.log.entries())[-1]
    assert last["before"]["name"] == "廠商1" and last["after"]["name"] == "改名"
    assert last["actor"] == "t" and last["action"] == "rename"


def test_records_are_split_into_partitions_and_all_finds_them(store):
    contracts = [
        Contract(f"c{n}", f"v{n % 3}", "ag", "案", date(2026, 1, 1), date(2026, 12, 31))
        for n in range(9)
    ]
    store.put_many(contracts, actor="t", action="create")
    assert sorted(c.id for c in store.all(Contract)) == sorted(c.id for c in contracts)
    assert {c.id for c in store.all(Contract, vendor="v1")} == {"c1", "c4", "c7"}


def test_deleting_a_record_removes_it_and_logs_it(store):
    store.put(vendor(1), actor="t", action="create")
    store.delete(Vendor, "v1", actor="t", action="remove")
    assert store.get(Vendor, "v1") is None
    assert list(store.log.entries())[-1]["after"] is None


def test_a_record_moving_partition_leaves_no_copy_behind(store):
    ev = Evidence(
        "e1",
        "8.6",
        SubjectKind.VENDOR_STAFF,
        "s",
        "staff_pledge",
        "0" * 64,
        "f.pdf",
        "u",
        clock.now(),
        vendor_id="va",
    )
    store.put(ev, actor="t", action="a")
    store.put(replace(ev, vendor_id="vb", state=ReviewState.APPROVED), actor="t", action="b")
    assert [e.vendor_id for e in store.all(Evidence)] == ["vb"]


def test_a_write_rewrites_only_the_partition_it_changes(settings):
    store = Store.open(settings)
    contracts = [
        Contract(f"c{n}", f"v{n}", "ag", "案", date(2026, 1, 1), date(2026, 12, 31))
        for n in range(3)
    ]
    store.put_many(contracts, actor="t", action="create")
    folder = settings.data_dir / "tables" / "contracts"
    before = {p.name: p.stat().st_ino for p in folder.glob("*.json")}
    store.put(replace(contracts[1], title="改"), actor="t", action="edit")
    after = {p.name: p.stat().st_ino for p in folder.glob("*.json")}
    changed = [name for name in before if before[name] != after[name]]
    assert changed == ["v-v1.json"]


def test_a_second_store_on_the_same_folder_sees_the_firsts_writes(settings):
    first, second = Store.open(settings), Store.open(settings)
    first.put(vendor(1), actor="a", action="create")
    assert second.get(Vendor, "v1") == vendor(1)
    second.put(replace(vendor(1), name="乙改"), actor="b", action="edit")
    assert first.get(Vendor, "v1").name == "乙改"
    second.put(vendor(2), actor="b", action="create")
    assert {v.id for v in first.all(Vendor)} == {"v1", "v2"}
    assert first.log.verify().ok


def test_the_files_are_tinydb_documents_and_no_temp_files_are_left(settings):
    store = Store.open(settings)
    store.put(vendor(1), actor="t", action="create")
    from tinydb import TinyDB

    db = TinyDB(settings.data_dir / "tables" / "vendors" / "all.json")
    assert db.table("vendors").get(doc_id="v1")["name"] == "廠商1"
    assert not list(settings.data_dir.rglob("*.tmp"))


def test_a_newer_schema_is_refused_with_a_message(settings):
    Store.open(settings)
    meta = settings.data_dir / "meta.json"
    meta.write_text(json.dumps({"schema": 99}))
    from tracker.core.errors import StoreError

    with pytest.raises(StoreError, match="schema 99"):
        Store.open(settings)


def test_a_corrupt_table_file_is_reported_not_silently_emptied(settings):
    store = Store.open(settings)
    store.put(vendor(1), actor="t", action="create")
    (settings.data_dir / "tables" / "vendors" / "all.json").write_text("{not json")
    from tracker.core.errors import StoreError

    with pytest.raises(StoreError, match="all.json"):
        Store.open(settings).get(Vendor, "v1")


@pytest.mark.slow
def test_sigkill_at_twenty_random_moments_never_loses_an_acknowledged_write(settings):
    rng = random.Random(7)
    acked: list[str] = []
    for round_no in range(20):
        proc = subprocess.Popen(
            [sys.executable, str(WORKER), "crash", str(settings.data_dir), f"r{round_no}"],
            stdout=subprocess.PIPE,
            text=True,
        )
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
        acked.extend(
            line.split()[1]
            for line in rest.splitlines()
            if line.startswith("ack ") and len(line.split()) == 2
        )
        store = Store.open(settings)
        ids = {v.id for v in store.all(Vendor)}
        missing = [a for a in acked if a not in ids]
        assert not missing, f"round {round_no}: lost {missing[:5]}"
        assert store.log.verify().ok, store.log.verify()
    assert len(acked) > 20


@pytest.mark.slow
def test_eight_threads_and_two_processes_lose_no_update(settings):
    store = Store.open(settings)
    store.put(Vendor("counter", "計數", "04595257", "0"), actor="t", action="create")
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), "count", str(settings.data_dir), "200", f"p{n}"]
        )
        for n in range(2)
    ]

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
        assert p.wait(timeout=600) == 0
    fresh = Store.open(settings)
    assert fresh.get(Vendor, "counter").contact == str(10 * 200)
    assert len(fresh.all(Vendor)) == 1 + 10 * 200
    assert store.get(Vendor, "counter").contact == "2000"
    verification = fresh.log.verify()
    assert verification.ok and verification.lines == 1 + 10 * 200 * 2


def _note_class():
    """A fresh class object each call, as a re-imported module would define it."""
    from dataclasses import make_dataclass

    cls = make_dataclass("Note", [("id", str), ("text", str)], frozen=True)
    cls.__module__ = "tests.foundation.notes"
    return cls


def test_a_record_class_re_imported_under_the_same_name_still_finds_its_collection(store):
    from tracker.storage.registry import register_collection

    first = _note_class()
    register_collection("notes", first)
    store.put(first("n1", "舊"), actor="t", action="create")
    second = _note_class()
    register_collection("notes", second)
    store.put(second("n2", "新"), actor="t", action="create")
    assert store.get(second, "n2").text == "新"
    assert store.get(first, "n1").text == "舊"


def test_another_class_under_a_taken_collection_name_is_refused():
    from tracker.storage.registry import register_collection

    with pytest.raises(ValueError, match="already holds"):
        register_collection("vendors", _note_class())


def test_a_redacted_field_is_stored_but_only_its_digest_reaches_the_activity_log(store):
    from dataclasses import make_dataclass

    from tracker.storage.registry import register_collection

    secret_cls = make_dataclass("Secret", [("id", str), ("password_hash", str)], frozen=True)
    secret_cls.__module__ = "tests.foundation.secrets"
    register_collection("secrets", secret_cls, redact=("password_hash",))
    store.put(secret_cls("u1", "$argon2id$v=19$AAAA"), actor="t", action="create")
    store.put(secret_cls("u1", "$argon2id$v=19$BBBB"), actor="t", action="change")
    assert store.get(secret_cls, "u1").password_hash == "$argon2id$v=19$BBBB"
    entries = [e for e in store.log.entries() if e["collection"] == "secrets"]
    text = str(entries)
    assert "argon2" not in text
    assert entries[-1]["before"]["password_hash"] != entries[-1]["after"]["password_hash"]


def test_the_compliance_report_is_shared_until_the_data_changes(settings):
    from tracker.services.compliance import compliance_report

    store = Store.open(settings)
    store.put(vendor(1), actor="t", action="create")
    first = compliance_report(store)
    assert compliance_report(store) is first
    assert compliance_report(store, cached=False) is not first
    store.put(vendor(2), actor="t", action="create")
    assert compliance_report(store) is not first
