"""The storage contract, run over every backend: what services may rely on, whatever keeps the records."""

from __future__ import annotations

from dataclasses import make_dataclass, replace
from datetime import date

import pytest

from tests.storage.conftest import vendor
from tracker.core import clock
from tracker.core.errors import NotFound
from tracker.domain.enums import ReviewState, SubjectKind
from tracker.domain.evidence import Evidence
from tracker.domain.vendors import Contract, Vendor
from tracker.storage.registry import register_collection


def evidence(record_id: str, vendor_id: str, **fields) -> Evidence:
    return Evidence(
        record_id,
        "8.6",
        SubjectKind.VENDOR_STAFF,
        "s",
        "staff_pledge",
        fields.pop("sha256", "0" * 64),
        "f.pdf",
        "u",
        clock.now(),
        vendor_id=vendor_id,
        **fields,
    )


def test_a_record_put_is_returned_by_id_as_an_equal_domain_record(store):
    record = vendor(1)
    assert store.put(record, actor="t", action="create") is record
    assert store.get(Vendor, "v1") == record
    assert store.get(Vendor, "missing") is None


def test_require_raises_not_found_for_a_missing_record(store):
    with pytest.raises(NotFound, match="v9"):
        store.require(Vendor, "v9")


def test_putting_a_record_again_replaces_it_and_logs_before_and_after(store):
    store.put(vendor(1), actor="t", action="create")
    store.put(replace(vendor(1), name="改名"), actor="t", action="rename")
    assert store.get(Vendor, "v1").name == "改名"
    last = list(store.log.entries())[-1]
    assert last["before"]["name"] == "廠商1" and last["after"]["name"] == "改名"
    assert last["actor"] == "t" and last["action"] == "rename"


def test_every_logged_change_carries_the_whole_record_after_it(store):
    from tracker.storage.codec import to_doc

    record = replace(vendor(1), contact="02-1234-5678 王經理")
    store.put(record, actor="t", action="create")
    after = list(store.log.entries())[-1]["after"]
    assert after == to_doc(record) and after["contact"] == "02-1234-5678 王經理"


def test_records_are_split_by_vendor_and_all_finds_them_either_way(store):
    contracts = [
        Contract(f"c{n}", f"v{n % 3}", "ag", "案", date(2026, 1, 1), date(2026, 12, 31))
        for n in range(9)
    ]
    store.put_many(contracts, actor="t", action="create")
    assert sorted(c.id for c in store.all(Contract)) == sorted(c.id for c in contracts)
    assert {c.id for c in store.all(Contract, vendor="v1")} == {"c1", "c4", "c7"}
    assert store.all(Contract, vendor="nobody") == []


def test_asking_a_collection_by_what_it_is_not_split_by_is_refused(store):
    with pytest.raises(ValueError):
        store.all(Vendor, agency="ag")


def test_put_many_writes_one_line_per_record_and_a_record_listed_twice_keeps_its_last_version(
    store,
):
    store.put_many(
        [vendor(1), vendor(2), replace(vendor(1), name="後來的")], actor="t", action="bulk"
    )
    assert store.get(Vendor, "v1").name == "後來的"
    lines = [e for e in store.log.entries() if e["action"] == "bulk"]
    assert [e["record"] for e in lines] == ["v1", "v2"]


def test_deleting_a_record_removes_it_and_logs_it(store):
    store.put(vendor(1), actor="t", action="create")
    store.delete(Vendor, "v1", actor="t", action="remove")
    assert store.get(Vendor, "v1") is None and store.all(Vendor) == []
    assert list(store.log.entries())[-1]["after"] is None


def test_deleting_a_missing_record_is_refused_and_logs_nothing(store):
    with pytest.raises(NotFound):
        store.delete(Vendor, "v9", actor="t", action="remove")
    assert list(store.log.entries()) == []


def test_a_record_moving_partition_leaves_no_copy_behind(store):
    store.put(evidence("e1", "va"), actor="t", action="a")
    store.put(
        replace(evidence("e1", "va"), vendor_id="vb", state=ReviewState.APPROVED),
        actor="t",
        action="b",
    )
    assert [e.vendor_id for e in store.all(Evidence)] == ["vb"]
    assert store.all(Evidence, vendor="va") == []


def test_an_event_is_logged_without_changing_any_record(store):
    line = store.record_event(actor="it.office", action="signed_in", details={"ip": "10.0.0.1"})
    assert line["after"] == {"ip": "10.0.0.1"} and line["collection"] is None
    assert list(store.log.entries())[-1]["hash"] == line["hash"]


def test_the_log_of_every_change_verifies(store):
    store.put_many([vendor(n) for n in range(5)], actor="t", action="create")
    store.delete(Vendor, "v3", actor="t", action="remove")
    store.record_event(actor="t", action="x")
    result = store.log.verify()
    assert result.ok and result.lines == 7


def test_the_position_changes_with_every_acknowledged_change(store):
    first = store.position()
    store.put(vendor(1), actor="t", action="create")
    second = store.position()
    store.record_event(actor="t", action="x")
    assert len({first, second, store.position()}) == 3
    assert store.position() == store.position()


def test_locked_is_re_entrant_and_writes_inside_it_are_seen_at_once(store):
    with store.locked():
        store.put(vendor(1), actor="t", action="create")
        with store.locked():
            assert store.get(Vendor, "v1") == vendor(1)
    assert store.get(Vendor, "v1") == vendor(1)


def test_meta_is_a_copy_and_set_meta_keeps_the_change(store):
    store.set_meta(demo=True)
    meta = store.meta
    meta["demo"] = False
    assert store.meta["demo"] is True


def test_facts_hold_every_record_the_status_engine_reads(store):
    store.put_many([vendor(1), evidence("e1", "v1")], actor="t", action="create")
    facts = store.facts()
    assert [v.id for v in facts.vendors] == ["v1"] and [e.id for e in facts.evidence] == ["e1"]


def test_the_log_is_intact_and_no_recovery_was_needed(store):
    store.put(vendor(1), actor="t", action="create")
    assert store.log_intact() and store.recoveries() == []


def _note_class():
    """A fresh class object each call, as a re-imported module would define it."""
    cls = make_dataclass("Note", [("id", str), ("text", str)], frozen=True)
    cls.__module__ = "tests.storage.notes"
    return cls


def test_a_record_class_re_imported_under_the_same_name_still_finds_its_collection(store):
    first = _note_class()
    register_collection("notes", first)
    store.put(first("n1", "舊"), actor="t", action="create")
    second = _note_class()
    register_collection("notes", second)
    store.put(second("n2", "新"), actor="t", action="create")
    assert store.get(second, "n2").text == "新"
    assert store.get(first, "n1").text == "舊"


def test_another_class_under_a_taken_collection_name_is_refused():
    with pytest.raises(ValueError, match="already holds"):
        register_collection("vendors", _note_class())


def secret_class():
    cls = make_dataclass("Secret", [("id", str), ("password_hash", str)], frozen=True)
    cls.__module__ = "tests.storage.secrets"
    register_collection("secrets", cls, redact=("password_hash",))
    return cls


def test_a_redacted_field_is_stored_but_only_its_digest_reaches_the_activity_log(store):
    secret = secret_class()
    store.put(secret("u1", "$argon2id$v=19$AAAA"), actor="t", action="create")
    store.put(secret("u1", "$argon2id$v=19$BBBB"), actor="t", action="change")
    assert store.get(secret, "u1").password_hash == "$argon2id$v=19$BBBB"
    entries = [e for e in store.log.entries() if e["collection"] == "secrets"]
    assert "argon2" not in str(entries)
    assert entries[-1]["before"]["password_hash"] != entries[-1]["after"]["password_hash"]
