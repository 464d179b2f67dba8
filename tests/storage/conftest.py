"""Fixtures of the store tests: one suite run over every backend, a data folder per test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ops.conftest import env_for
from tests.ops.conftest import run_cli as ops_run_cli
from tracker.core.config import Settings
from tracker.domain.vendors import Vendor
from tracker.storage.store import Store

ROOT = Path(__file__).resolve().parents[2]

# Every backend of the storage contract (PostgreSQL: a new database of the session's server).
BACKENDS = ["memory", "folder", "postgres"]


def open_backend(name: str, settings: Settings):
    if name == "memory":
        return Store.in_memory()
    if name == "folder":
        return Store.open(settings)
    if name == "postgres":
        from tracker.storage.postgres import PgStore

        return PgStore.open(settings)
    raise ValueError(name)


@pytest.fixture(params=BACKENDS)
def store(request, settings: Settings):
    """A store of each backend (the contract suite runs once per backend)."""
    if request.param == "postgres":
        settings = request.getfixturevalue("pg_settings")
    opened = open_backend(request.param, settings)
    if request.param == "postgres":
        request.addfinalizer(opened.close)
    return opened


@pytest.fixture
def folder(settings: Settings) -> Store:
    """A folder store (for what only a folder has: files, other processes, crashes)."""
    return Store.open(settings)


def vendor(n: int, **fields) -> Vendor:
    return Vendor(fields.pop("id", f"v{n}"), fields.pop("name", f"廠商{n}"), "04595257", **fields)


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    """``python -m tracker ARGS`` against the test's folders, as an operator runs it."""
    return ops_run_cli(env_for(settings), *args)


def start_worker(mode: str, settings: Settings, name: str, times: int = 0, **options):
    """``tests/storage/worker.py MODE`` in a process of its own, its stdout piped (see the worker).

    Run as ``-m tests.storage.worker`` from the project root, so the worker can
    import the test helpers without a ``PYTHONPATH``, as in a clean checkout.
    """
    command = [
        sys.executable,
        "-m",
        "tests.storage.worker",
        mode,
        str(settings.data_dir),
        str(settings.evidence_dir),
    ]
    env = dict(os.environ)
    env.pop("TRACKER_DATABASE_URL", None)
    if settings.database_url:  # the worker opens the same backend (tests/storage/worker.py)
        env["TRACKER_DATABASE_URL"] = settings.database_url
    return subprocess.Popen(
        [*command, name, str(times)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        **options,
    )


# The backends several processes can share: what the process and crash tests run over.
SHARED = ["folder", "postgres"]


@pytest.fixture(params=SHARED)
def shared_settings(request, settings: Settings) -> Settings:
    """The test's settings for each backend several processes share (PostgreSQL: a new database)."""
    return request.getfixturevalue("pg_settings") if request.param == "postgres" else settings


def open_shared(settings: Settings):
    """A store on ``settings``' backend, as another process (or app replica) opens it."""
    from tracker.storage.backend import open_store

    return open_store(settings)
