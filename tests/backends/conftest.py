"""The store contract's suite runs once per backend: in memory, the data folder, PostgreSQL.

``store`` is a store of the parametrised backend; ``replica`` opens another
store on the same data, as a second process (or a second app replica) would.
The PostgreSQL stores use a new database of the session's server each test
(``pg_settings`` in ``tests/conftest.py``) and are closed afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tracker.core.config import Settings
from tracker.domain.vendors import Vendor
from tracker.storage.backend import open_store
from tracker.storage.store import Store

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ["memory", "folder", "postgres"]
SHARED = ["folder", "postgres"]  # the backends several processes can share


class Backend:
    """Opens stores of one backend on one test's data; closes what it opened."""

    def __init__(self, name: str, settings: Settings):
        self.name, self.settings, self.opened = name, settings, []
        self._memory = Store.in_memory() if name == "memory" else None

    def open(self):
        """A store on this test's data (the same one, in memory: nothing else can share it)."""
        if self._memory is not None:
            return self._memory
        store = open_store(self.settings)
        self.opened.append(store)
        return store

    def env(self) -> dict[str, str]:
        """The environment of ``python -m tracker`` (or a worker) on this test's data."""
        env = dict(os.environ)
        env.update(
            TRACKER_DATA_DIR=str(self.settings.data_dir),
            TRACKER_EVIDENCE_DIR=str(self.settings.evidence_dir),
            TRACKER_TRUST_DIR=str(self.settings.trust_dir),
        )
        env.pop("TRACKER_DATABASE_URL", None)
        if self.settings.database_url:
            env["TRACKER_DATABASE_URL"] = self.settings.database_url
        return env

    def run(self, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
        """Run ``python ARGS`` from the project root on this test's data."""
        return subprocess.run(
            [sys.executable, *args],
            env=self.env(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def popen(self, *args: str) -> subprocess.Popen:
        """Start ``python ARGS`` from the project root on this test's data (stderr piped)."""
        return subprocess.Popen(
            [sys.executable, *args], env=self.env(), cwd=ROOT, stderr=subprocess.PIPE, text=True
        )

    def close(self) -> None:
        for store in self.opened:
            close = getattr(store, "close", None)
            if close is not None:
                close()


def _backend(request, name: str) -> Backend:
    settings = request.getfixturevalue("pg_settings" if name == "postgres" else "settings")
    backend = Backend(name, settings)
    request.addfinalizer(backend.close)
    return backend


@pytest.fixture(params=BACKENDS)
def backend(request) -> Backend:
    """Each backend in turn (the contract suite runs once per backend)."""
    return _backend(request, request.param)


@pytest.fixture(params=SHARED)
def shared(request) -> Backend:
    """Each backend several processes can share."""
    return _backend(request, request.param)


@pytest.fixture
def store(backend: Backend):
    return backend.open()


def vendor(n: int, **fields) -> Vendor:
    return Vendor(fields.pop("id", f"v{n}"), fields.pop("name", f"廠商{n}"), "04595257", **fields)
