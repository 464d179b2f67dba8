"""Shared fixtures: a data folder per test, never the developer's own."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import pytest

from tracker.core.config import Settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def backup_key_file(tmp_path: Path, monkeypatch) -> Path:
    """One backup key per test, as one installation has one (TRACKER_BACKUP_KEY_FILE):
    every CLI run and every ``settings`` of the test signs and checks backups with it."""
    path = tmp_path / "backup.key"
    monkeypatch.setenv("TRACKER_BACKUP_KEY_FILE", str(path))
    return path


@pytest.fixture
def settings(tmp_path: Path, backup_key_file: Path) -> Settings:
    """Settings whose data, evidence and trust folders live in this test's temporary folder."""
    return replace(Settings.for_folder(tmp_path), backup_key_file=backup_key_file)


@pytest.fixture
def cli_env(settings: Settings) -> dict[str, str]:
    """Environment for running ``python -m tracker`` in a subprocess against the test's folders."""
    env = dict(os.environ)
    env["TRACKER_DATA_DIR"] = str(settings.data_dir)
    env["TRACKER_EVIDENCE_DIR"] = str(settings.evidence_dir)
    env["TRACKER_TRUST_DIR"] = str(settings.trust_dir)
    return env


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory) -> Path:
    """A folder with demo data (``data/``, ``evidence/``), seeded once per test session.

    Seeded through the command line, ``python -m tracker demo seed``, as the
    README does; it renders and inspects some seventy PDFs, so the app, browser
    and operations tests share it and copy it instead of seeding their own.
    """
    root = tmp_path_factory.mktemp("demo-seed")
    settings = Settings.for_folder(root)
    env = dict(os.environ)
    env.update(
        TRACKER_DATA_DIR=str(settings.data_dir),
        TRACKER_EVIDENCE_DIR=str(settings.evidence_dir),
        TRACKER_TRUST_DIR=str(settings.trust_dir),
    )
    result = subprocess.run(
        [sys.executable, "-m", "tracker", "demo", "seed"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server of Debian's ``postgresql`` package, started once per test session.

    Started by :mod:`tests.pg_server` (initdb into a temporary folder as an
    unprivileged user, a Unix socket there) and stopped at the end of the
    session, also when tests failed.  When it cannot start, the tests that
    need it fail under CI (``CI`` set, as ``.ci/run`` does); elsewhere they are
    skipped, and the reason is both the skip's and a warning's (so it is printed
    whatever the report options).
    """
    from tests.pg_server import ServerUnavailable, start_server

    try:
        server = start_server(fsync=False)
    except ServerUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL tests are never skipped in CI: {exc}", pytrace=False)
        warnings.warn(f"PostgreSQL tests skipped (CI unset): {exc}", stacklevel=1)
        pytest.skip(f"no PostgreSQL server: {exc}")
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server, request) -> str:
    """The URL of a new, empty database on the session's server, dropped after the test."""
    import hashlib

    name = "t_" + hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:16]
    pg_server.drop_database(name)
    url = pg_server.create_database(name)
    yield url
    pg_server.drop_database(name)


@pytest.fixture
def pg_settings(settings: Settings, pg_url: str) -> Settings:
    """The test's folders with records and the activity log in the test's own database."""
    from dataclasses import replace

    return replace(settings, database_url=pg_url)
