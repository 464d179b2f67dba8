"""Two app replicas on one PostgreSQL database show each other's changes on their next rerun."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace

import pytest

from tests.backends.conftest import ROOT, Backend
from tracker.core.config import Settings
from tracker.domain.enums import ReviewState
from tracker.domain.evidence import Evidence
from tracker.storage.pg_admin import copy_folder
from tracker.storage.postgres import PgStore
from tracker.storage.store import Store


class Replica:
    """An app process (tests/backends/app_replica.py) driven one command at a time."""

    def __init__(self, backend: Backend):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.backends.app_replica"],
            env=backend.env(),
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def ask(self, command: str) -> dict:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, self.proc.stderr.read()[-3000:]
        return json.loads(line)

    def stop(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


@pytest.fixture
def demo_database(demo_root, tmp_path, pg_settings) -> Backend:
    """The demo data copied into the test's database (evidence and query logs in shared folders)."""
    shutil.copytree(demo_root, tmp_path / "demo", symlinks=True)
    folder = Settings.for_folder(tmp_path / "demo")
    copy_folder(Store.open(folder), pg_settings.database_url)
    settings = replace(folder, database_url=pg_settings.database_url)
    backend = Backend("postgres", settings)
    yield backend
    backend.close()


@pytest.mark.slow
def test_two_app_replicas_on_one_database_show_each_others_review_on_the_next_rerun(
    demo_database,
):
    first, second = Replica(demo_database), Replica(demo_database)
    try:
        seen_by_second = second.ask("queue")
        approved = first.ask("approve")
        assert approved["errors"] == [] and approved["approved"] == seen_by_second["picked"]
        after = second.ask("rerun")
        assert after["count"] == seen_by_second["count"] - 1
        assert after["picked"] != approved["approved"]
        by_second = second.ask("approve")
        assert by_second["errors"] == [] and by_second["approved"] not in (
            None,
            approved["approved"],
        )
        assert first.ask("rerun")["count"] == seen_by_second["count"] - 2
    finally:
        first.stop()
        second.stop()
    store = demo_database.open()
    assert isinstance(store, PgStore)
    for evidence_id in (approved["approved"], by_second["approved"]):
        assert store.require(Evidence, evidence_id).state == ReviewState.APPROVED
    reviews = [e for e in store.log.entries() if e["action"] == "evidence_approved"]
    assert {e["record"] for e in reviews[-2:]} == {approved["approved"], by_second["approved"]}
    assert store.log.verify().ok
