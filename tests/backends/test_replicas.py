"""Several processes on one store (the data folder, or app replicas on one PostgreSQL database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from tests.backends.conftest import vendor
from tracker.domain.vendors import Agency, Contract, Vendor


def test_a_replica_sees_another_stores_committed_change_on_its_next_read(shared):
    first, second = shared.open(), shared.open()
    assert second.get(Vendor, "v1") is None  # second has looked (and cached) before the change
    assert second.all(Vendor) == []
    first.put(vendor(1), actor="t", action="create")
    assert second.get(Vendor, "v1") == vendor(1)
    assert [v.id for v in second.all(Vendor)] == ["v1"]
    second.put(replace(vendor(1), name="第二個改的"), actor="t", action="rename")
    assert first.get(Vendor, "v1").name == "第二個改的"


def test_a_replica_sees_a_move_and_a_deletion_on_its_next_read(shared):
    first, second = shared.open(), shared.open()
    contract = Contract("c1", "v1", "ag", "案", date(2026, 1, 1), date(2026, 12, 31))
    first.put_many([contract, vendor(1), vendor(2)], actor="t", action="create")
    assert [c.id for c in second.all(Contract, vendor="v1")] == ["c1"]
    assert len(second.all(Vendor)) == 2
    first.put(replace(contract, vendor_id="v2"), actor="t", action="move")
    first.delete(Vendor, "v1", actor="t", action="purge")
    assert second.all(Contract, vendor="v1") == []
    assert [c.id for c in second.all(Contract, vendor="v2")] == ["c1"]
    assert [v.id for v in second.all(Vendor)] == ["v2"]


def test_a_replicas_compliance_report_follows_another_replicas_change(shared):
    from tracker.services.compliance import compliance_report

    first, second = shared.open(), shared.open()
    first.put(Agency("ag1", "社會局"), actor="t", action="create")
    before = compliance_report(second)
    assert compliance_report(second) is before
    first.put(Agency("ag2", "社會局附屬機關"), actor="t", action="create")
    after = compliance_report(second)
    assert after is not before
    assert {r.agency_id for r in after.rows} - {r.agency_id for r in before.rows} == {"ag2"}


def test_the_log_written_by_two_replicas_verifies_as_one_chain(shared):
    first, second = shared.open(), shared.open()
    for n in range(10):
        (first if n % 2 else second).put(vendor(n), actor=f"r{n % 2}", action="create")
    verification = shared.open().log.verify()
    assert verification.ok and verification.lines == 10
    assert [e["actor"] for e in first.log.entries()] == [f"r{n % 2}" for n in range(10)]


@pytest.mark.slow
def test_two_processes_of_eight_threads_lose_no_update_and_log_each_once_in_order(shared):
    store = shared.open()
    store.put(Vendor("counter", "計數", "04595257", "0"), actor="t", action="create")
    # two processes at once, each of 8 threads adding one to the counter 200 times
    procs = [
        shared.popen("-m", "tests.backends.worker", "bump", "8", "200", f"p{n}") for n in range(2)
    ]
    results = [(p.wait(timeout=900), p.stderr.read()) for p in procs]
    assert [code for code, _ in results] == [0, 0], [err[-2000:] for _, err in results]
    total = 2 * 8 * 200
    assert store.get(Vendor, "counter").contact == str(total)
    assert shared.open().get(Vendor, "counter").contact == str(total)
    bumps = [e for e in store.log.entries() if e["action"] == "bump"]
    assert [int(e["after"]["contact"]) for e in bumps] == list(range(1, total + 1))
    assert [int(e["before"]["contact"]) for e in bumps] == list(range(total))
    verification = store.log.verify()
    assert verification.ok and verification.lines == 1 + total
