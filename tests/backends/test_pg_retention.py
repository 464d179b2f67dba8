"""The retention purge on PostgreSQL: the folder's rules, the same anchor, one transaction."""

from __future__ import annotations

from datetime import datetime, time

import orjson
import pytest

from tests.backends.conftest import Backend, vendor
from tracker.activitylog.chain import anchor_digest
from tracker.core import clock
from tracker.core.errors import StoreError
from tracker.domain.vendors import Vendor
from tracker.ops.retention import purge
from tracker.ops.retention_report import shift_years
from tracker.storage.blobs import BlobStore

TODAY = clock.today()


def at(years_ago: int) -> datetime:
    return datetime.combine(shift_years(TODAY, -years_ago), time(11), clock.TAIPEI)


@pytest.fixture
def aged(pg_settings, monkeypatch) -> Backend:
    """Two vendors created seven and six years ago, one today, on the test's database."""
    backend = Backend("postgres", pg_settings)
    real_now = clock.now
    for years in (7, 6):
        monkeypatch.setattr(clock, "now", lambda years=years: at(years))
        backend.open().put(vendor(years, id=f"v-{years}y"), actor="t", action="vendor_created")
    monkeypatch.setattr(clock, "now", real_now)
    backend.open().put(vendor(1), actor="t", action="vendor_created")
    yield backend
    backend.close()


def test_a_purge_leaves_an_anchor_vouched_for_and_a_log_that_verifies(aged, pg_settings):
    store, other = aged.open(), aged.open()
    assert other.get(Vendor, "v1") is not None
    result = purge(store, BlobStore(pg_settings.evidence_dir), shift_years(TODAY, -5), actor="t")
    assert result.log_lines == 2
    lines = list(store.log.raw_lines())
    first = orjson.loads(lines[0])
    assert first["kind"] == "anchor" and first["anchor_digest"] == anchor_digest(first)
    entries = list(store.log.entries())
    assert not [e for e in entries if e.get("record") in ("v-7y", "v-6y")]
    vouch = next(e for e in entries if e["action"] == "activity_log_purged")
    assert (vouch["after"]["anchor_seq"], vouch["after"]["anchor_hash"]) == (
        first["seq"],
        first["hash"],
    )
    assert store.log.verify().ok and aged.open().log.verify().ok
    assert {v.id for v in other.all(Vendor)} == {"v-7y", "v-6y", "v1"}  # records stay
    other.put(vendor(2), actor="t", action="vendor_created")  # a replica writes on after the purge
    assert store.log.verify().ok and store.get(Vendor, "v2") is not None


def test_a_second_purge_replaces_the_anchor_and_the_log_still_verifies(aged, pg_settings):
    store = aged.open()
    blobs = BlobStore(pg_settings.evidence_dir)
    first = purge(store, blobs, shift_years(TODAY, -6), actor="t")  # the line of seven years ago
    assert first.log_lines == 1
    second = purge(aged.open(), blobs, shift_years(TODAY, -5), actor="t")  # now six years ago
    assert second.log_lines == 1
    entries = list(store.log.entries())
    anchors = [e for e in entries if e.get("kind") == "anchor"]
    assert len(anchors) == 1 and entries[0].get("kind") == "anchor"
    assert anchors[0]["after"]["purged_seq"] == [1, 2]
    assert len([e for e in entries if e["action"] == "activity_log_purged"]) == 2
    assert store.log.verify().ok and store.log_intact()


def test_a_log_that_does_not_verify_is_not_purged(aged, pg_settings, pg_url):
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE tracker.activity_log SET line = replace(line, '廠商1', '廠商Z')")
    store = aged.open()
    with pytest.raises(StoreError, match="驗證失敗"):
        purge(store, BlobStore(pg_settings.evidence_dir), shift_years(TODAY, -5), actor="t")
    assert len(list(store.log.raw_lines())) == 3


def test_the_purge_command_works_on_the_database(aged):
    before = shift_years(TODAY, -5).isoformat()
    result = aged.run("-m", "tracker", "retention", "purge", "--before", before, "--yes")
    assert result.returncode == 0, result.stderr
    assert aged.run("-m", "tracker", "log", "verify").returncode == 0
