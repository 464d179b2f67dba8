"""Processes killed (SIGKILL) at random moments during uploads, reviews and imports.

Over the folder and PostgreSQL.  After each kill the store is opened again, and then: every acknowledged change
is there, no log line names a record that is not, no evidence file is without a
record, no import is half done, no intent or temporary file is left; ``store
check`` (in process) finds nothing.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import time

import pytest

from tests.storage.conftest import open_shared, start_worker
from tests.storage.world import seed, submitted
from tracker.domain.audits import QueryLogImport
from tracker.domain.enums import ReviewState
from tracker.domain.evidence import Evidence
from tracker.querylog.store import LogStore
from tracker.storage.blobs import BlobStore
from tracker.storage.check import check_store
from tracker.storage.pg_check import check_database
from tracker.storage.store import Store

pytestmark = pytest.mark.slow
ROUNDS = 10


def start(mode: str, settings, name: str, times: int = 0) -> subprocess.Popen:
    # a session of its own, so that the sandbox's processes go with the worker
    return start_worker(mode, settings, name, times, start_new_session=True)


def kill_at_random(proc: subprocess.Popen, rng: random.Random, most: int) -> list[str]:
    """Kill ``proc`` (and its children) at a random moment: after 1 to ``most`` acknowledgements
    and a random pause, so the kill lands anywhere in the change that follows."""
    acked = [proc.stdout.readline() for _ in range(rng.randint(1, most))]
    assert all(line.startswith("ack") for line in acked), acked
    time.sleep(rng.uniform(0.0, 0.02))
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    acked += proc.stdout.read().splitlines(keepends=True)
    # a line cut by the kill (no newline) was never fully acknowledged
    return [line.strip() for line in acked if line.startswith("ack ") and line.endswith("\n")]


def assert_whole(settings) -> Store:
    """Open the store again and check that nothing is lost, phantom, orphaned or half done."""
    store = open_shared(settings)
    blobs, logs = BlobStore(settings.evidence_dir), LogStore(settings.data_dir / "query-logs")
    check = check_database if settings.database_url else check_store
    result = check(store, blobs, logs)
    assert result.ok, [d.line() for d in result.differences]
    logged = {e["record"] for e in store.log.entries() if e["collection"] == "evidence"}
    assert logged == {e.id for e in store.all(Evidence)}  # no log line without its record
    referred = {e.sha256 for e in store.all(Evidence)} | {
        r.sha256 for r in store.all(QueryLogImport)
    }
    assert set(blobs.all()) == referred  # no file without a record, no record without its file
    assert not list((settings.data_dir / "pending").glob("*"))
    assert not [p for p in settings.data_dir.rglob(".*.tmp")]
    assert not [p for p in settings.evidence_dir.rglob(".*.tmp")]
    return store


@pytest.fixture
def world(shared_settings):
    """The seeded world on each backend several processes share (the folder, PostgreSQL)."""
    seed(open_shared(shared_settings))
    return shared_settings


def test_uploads_killed_at_random_moments_leave_no_phantom_line_and_no_orphan_file(world):
    rng, acked = random.Random(3), []
    for _ in range(ROUNDS):
        lines = kill_at_random(start("upload", world, "up"), rng, 3)
        acked += [line.split()[1] for line in lines if len(line.split()) == 3]
        store = assert_whole(world)
        assert set(acked) <= {e.id for e in store.all(Evidence)}
    assert len(acked) >= ROUNDS


def test_reviews_killed_at_random_moments_keep_every_acknowledged_decision(world):
    submitted(open_shared(world), BlobStore(world.evidence_dir), 400)
    rng, decided = random.Random(5), {}
    for _ in range(ROUNDS):
        for line in kill_at_random(start("review", world, "rv"), rng, 30):
            _, record_id, state = line.split()
            decided[record_id] = state
        store = assert_whole(world)
        for record_id, state in decided.items():
            assert store.get(Evidence, record_id).state in (
                ReviewState(state),
                ReviewState.SUPERSEDED,
            )
    assert decided


def test_imports_killed_at_random_moments_commit_whole_or_not_at_all_and_a_retry_works(world):
    from tests.storage.world import query_log_csv
    from tracker.core.errors import InvalidInput
    from tracker.services.log_imports import import_query_log, log_store

    rng, acked = random.Random(9), []
    for round_no in range(ROUNDS):
        name = f"im{round_no}"
        lines = kill_at_random(start("import", world, name), rng, 3)
        acked += [line.split()[1] for line in lines]
        store = assert_whole(world)
        assert set(acked) <= {r.sha256 for r in store.all(QueryLogImport)}
        retry = len(lines) + 1  # the file whose import the kill interrupted, imported again
        args = (store, log_store(world), BlobStore(world.evidence_dir), "account.admin")
        data = query_log_csv(f"{name}-{retry}")
        try:
            import_query_log(*args, agency_id="ag", data=data, filename="retry.csv")
        except InvalidInput as refused:  # it had committed, only its acknowledgement was lost
            assert "不重複匯入" in refused.message_zh
        assert_whole(world)
    assert len(acked) >= ROUNDS
