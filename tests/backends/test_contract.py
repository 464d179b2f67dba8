"""The storage contract, run over every backend: what the services may rely on, wherever records live."""

from __future__ import annotations

from dataclasses import make_dataclass, replace
from datetime import date, datetime

import pytest

from tests.backends.conftest import vendor
from tracker.core import clock
from tracker.core.errors import NotFound
from tracker.domain.accounts import NiaAccount
from tracker.domain.audits import SampledRecord
from tracker.domain.enums import SubjectKind
from tracker.domain.evidence import Evidence
from tracker.domain.vendors import Agency, Contract, Vendor
from tracker.storage.registry import register_collection


def evidence(
    record_id: str, vendor_id: str | None, agency_id: str | None = None, sha256: str = "0" * 64
) -> Evidence:
    return Evidence(
        record_id,
        "8.6",
        SubjectKind.VENDOR_STAFF,
        "s",
        "staff_pledge",
        sha256,
        "f.pdf",
        "u",
        clock.now(),
        vendor_id=vendor_id,
        agency_id=agency_id,
    )


def contract(n: int, vendor_id: str) -> Contract:
    return Contract(f"c{n}", vendor_id, "ag", "案", date(2026, 1, 1), date(2026, 12, 31))


def sample(n: int, audit_id: str, agency_id: str = "ag") -> SampledRecord:
    return SampledRecord(
        f"s{n}", audit_id, agency_id, n, datetime(2026, 3, 1, 9), "acct", "q", "A1****789"
    )


def test_a_record_put_is_returned_by_id_as_an_equal_domain_record(store):
    record = vendor(1)
    assert store.put(record, actor="t", action="create") is record
    assert store.get(Vendor, "v1") == record
    assert store.get(Vendor, "missing") is None


def test_require_raises_not_found_naming_the_missing_id(store):
    with pytest.raises(NotFound, match="v9"):
        store.require(Vendor, "v9")


def test_putting_a_record_again_replaces_it_and_logs_before_and_after(store):
    store.put(vendor(1), actor="t", action="create")
    store.put(replace(vendor(1), name="改名"), actor="t", action="rename")
    assert store.get(Vendor, "v1").name == "改名"
    last = list(store.log.entries())[-1]
    assert last["before"]["name"] == "廠商1" and last["after"]["name"] == "改名"
    assert (last["actor"], last["action"], last["collection"], last["record"]) == (
        "t",
        "rename",
        "vendors",
        "v1",
    )


def test_records_split_by_vendor_are_found_by_vendor_and_all_together(store):
    contracts = [contract(n, f"v{n % 3}") for n in range(9)]
    store.put_many(contracts, actor="t", action="create")
    assert sorted(c.id for c in store.all(Contract)) == sorted(c.id for c in contracts)
    assert {c.id for c in store.all(Contract, vendor="v1")} == {"c1", "c4", "c7"}
    assert store.all(Contract, vendor="nobody") == []


def test_accounts_are_found_by_agency_and_sampled_records_by_audit(store):
    accounts = [NiaAccount(f"n{k}", f"ag{k % 2}", f"持有人{k}", "社工科") for k in range(4)]
    store.put_many(accounts, actor="t", action="create")
    store.put_many([sample(1, "au1"), sample(2, "au1"), sample(3, "au2")], actor="t", action="draw")
    assert {a.id for a in store.all(NiaAccount, agency="ag1")} == {"n1", "n3"}
    assert {s.id for s in store.all(SampledRecord, agency="ag", audit="au1")} == {"s1", "s2"}
    assert {s.id for s in store.all(SampledRecord, agency="other", audit="au1")} == set()
    assert len(store.all(SampledRecord)) == 3


def test_evidence_is_the_vendors_when_it_names_one_and_else_the_agencys(store):
    store.put_many(
        [evidence("e1", "v1", "ag"), evidence("e2", None, "ag"), evidence("e3", "v2")],
        actor="t",
        action="upload",
    )
    assert {e.id for e in store.all(Evidence, vendor="v1")} == {"e1"}
    assert {e.id for e in store.all(Evidence, agency="ag")} == {"e2"}
    assert {e.id for e in store.all(Evidence, vendor="v2", agency="ag")} == {"e3"}


def test_asking_a_collection_by_what_it_is_not_split_by_is_refused(store):
    with pytest.raises(ValueError):
        store.all(Vendor, agency="ag")
    with pytest.raises(ValueError):
        store.all(Contract, agency="ag")
    with pytest.raises(ValueError):
        store.all(SampledRecord, agency="ag")


def test_a_record_moving_to_another_vendor_is_found_only_under_the_new_one(store):
    store.put(contract(1, "v1"), actor="t", action="create")
    store.put(replace(contract(1, "v1"), vendor_id="v2"), actor="t", action="move")
    assert store.all(Contract, vendor="v1") == []
    assert [c.id for c in store.all(Contract, vendor="v2")] == ["c1"]
    assert [c.id for c in store.all(Contract)] == ["c1"]


def test_put_many_logs_one_line_per_record_and_keeps_the_last_of_a_record_listed_twice(store):
    before = len(list(store.log.entries()))
    store.put_many(
        [vendor(1), vendor(2), replace(vendor(1), name="後")], actor="t", action="import"
    )
    lines = list(store.log.entries())[before:]
    assert sorted(line["record"] for line in lines) == ["v1", "v2"]
    assert store.get(Vendor, "v1").name == "後"


def test_put_many_that_cannot_store_one_record_writes_none_of_them(store):
    store.put(vendor(1), actor="t", action="create")
    lines = len(list(store.log.entries()))
    unstorable = replace(vendor(3), contact=object())
    with pytest.raises(TypeError):
        store.put_many(
            [replace(vendor(1), name="不該寫入"), vendor(2), unstorable], actor="t", action="import"
        )
    assert store.get(Vendor, "v1").name == "廠商1"
    assert store.get(Vendor, "v2") is None
    assert len(list(store.log.entries())) == lines


def test_deleting_a_record_removes_it_and_logs_what_it_was(store):
    store.put(vendor(1), actor="t", action="create")
    store.delete(Vendor, "v1", actor="t", action="purge")
    assert store.get(Vendor, "v1") is None and store.all(Vendor) == []
    last = list(store.log.entries())[-1]
    assert last["action"] == "purge" and last["before"]["id"] == "v1" and last["after"] is None


def test_deleting_a_missing_record_is_refused_and_logs_nothing(store):
    lines = len(list(store.log.entries()))
    with pytest.raises(NotFound):
        store.delete(Vendor, "v9", actor="t", action="purge")
    assert len(list(store.log.entries())) == lines


def test_an_event_is_logged_with_its_chain_fields_and_changes_no_record(store):
    line = store.record_event(actor="ann", action="signed_in", details={"ip": "10.0.0.1"})
    assert line["after"] == {"ip": "10.0.0.1"} and line["collection"] is None
    assert len(line["hash"]) == 64 and line["seq"] == store.log.head().seq
    assert list(store.log.entries())[-1]["hash"] == line["hash"]
    assert store.all(Vendor) == []


def test_the_log_of_every_change_verifies_and_holds_each_change_once_in_order(store):
    for n in range(5):
        store.put(vendor(n), actor="t", action="create")
    store.put_many([contract(1, "v1"), contract(2, "v2")], actor="t", action="create")
    store.delete(Vendor, "v0", actor="t", action="purge")
    verification = store.log.verify()
    assert verification.ok and verification.lines == 8
    entries = list(store.log.entries())
    assert [e["seq"] for e in entries] == list(range(1, 9))
    assert [e["prev_hash"] for e in entries[1:]] == [e["hash"] for e in entries[:-1]]
    assert store.log.head().count == 8 and store.log.head().hash == entries[-1]["hash"]
    raw = list(store.log.raw_lines()) if not getattr(store, "memory", False) else None
    assert raw is None or [line.endswith(b"\n") for line in raw] == [True] * 8


def test_text_with_a_nul_quotes_and_characters_outside_the_bmp_is_kept_exactly(backend):
    store = backend.open()
    odd = 'a\x00b "引號" \\ \u2028 𠀋 😀 \t'
    store.put(vendor(1, name=odd), actor="t", action="create")
    assert store.get(Vendor, "v1").name == odd
    assert backend.open().get(Vendor, "v1").name == odd
    assert list(store.log.entries())[-1]["after"]["name"] == odd
    assert store.log.verify().ok


def test_meta_is_a_copy_and_set_meta_is_kept_for_the_next_store(backend):
    store = backend.open()
    meta = store.meta
    meta["demo"] = "changed"
    assert store.meta.get("demo") != "changed"
    store.set_meta(demo=True)
    assert store.meta["demo"] is True and backend.open().meta["demo"] is True


def test_the_position_changes_with_every_change_and_not_with_a_read(store):
    first = store.position()
    store.put(vendor(1), actor="t", action="create")
    second = store.position()
    store.get(Vendor, "v1")
    assert second != first and store.position() == second
    store.record_event(actor="t", action="signed_in")
    assert store.position() != second


def test_locked_is_re_entrant_and_writes_inside_it_are_seen_at_once(store):
    with store.locked():
        with store.locked():
            store.put(vendor(1), actor="t", action="create")
        assert store.get(Vendor, "v1") == vendor(1)
        store.put(replace(vendor(1), name="再改"), actor="t", action="rename")
    assert store.get(Vendor, "v1").name == "再改"


def test_facts_hold_every_record_the_status_engine_reads(store):
    store.put_many(
        [Agency("ag", "社會局"), vendor(1), contract(1, "v1"), evidence("e1", "v1")],
        actor="t",
        action="create",
    )
    facts = store.facts()
    assert [a.id for a in facts.agencies] == ["ag"] and [v.id for v in facts.vendors] == ["v1"]
    assert [c.id for c in facts.contracts] == ["c1"] and [e.id for e in facts.evidence] == ["e1"]


def _note_class():
    """A fresh class object each call, as a re-imported module would define it."""
    cls = make_dataclass("Note", [("id", str), ("text", str)], frozen=True)
    cls.__module__ = "tests.backends.notes"
    return cls


def test_a_record_class_re_imported_under_the_same_name_still_finds_its_collection(store):
    first = _note_class()
    register_collection("backend_notes", first)
    store.put(first("n1", "舊"), actor="t", action="create")
    second = _note_class()
    register_collection("backend_notes", second)
    store.put(second("n2", "新"), actor="t", action="create")
    assert store.get(second, "n2").text == "新" and store.get(first, "n1").text == "舊"


def test_a_redacted_field_is_stored_but_only_its_digest_reaches_the_activity_log(backend):
    secret_cls = make_dataclass("Secret", [("id", str), ("password_hash", str)], frozen=True)
    secret_cls.__module__ = "tests.backends.secrets"
    register_collection("backend_secrets", secret_cls, redact=("password_hash",))
    store = backend.open()
    store.put(secret_cls("u1", "$argon2id$v=19$AAAA"), actor="t", action="create")
    store.put(secret_cls("u1", "$argon2id$v=19$BBBB"), actor="t", action="change")
    assert backend.open().get(secret_cls, "u1").password_hash == "$argon2id$v=19$BBBB"
    entries = [e for e in store.log.entries() if e["collection"] == "backend_secrets"]
    assert "argon2" not in str(entries)
    assert entries[-1]["before"]["password_hash"] != entries[-1]["after"]["password_hash"]
