"""The PostgreSQL tests are never skipped in CI: a server that cannot start fails them there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.backends.conftest import ROOT

ONE_TEST = "tests/backends/test_contract.py::test_require_raises_not_found_naming_the_missing_id"


def run_with_a_broken_server(ci: bool) -> subprocess.CompletedProcess:
    """pytest on one PostgreSQL test, with ``initdb`` replaced by one that fails."""
    bindir = Path(tempfile.mkdtemp(prefix="trk-fake-pg-"))  # not under tmp_path: the server's
    # user (postgres, when we are root) must reach it, and pytest's folders are private
    bindir.chmod(0o755)
    for program in ("initdb", "pg_ctl"):
        fake = bindir / program
        fake.write_text("#!/bin/sh\necho 'initdb: could not create directory' >&2\nexit 1\n")
        fake.chmod(0o755)
    env = dict(os.environ, TRACKER_PG_BINDIR=str(bindir))
    env.pop("CI", None)
    if ci:
        env["CI"] = "1"
    try:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                f"{ONE_TEST}[postgres]",
                "-q",
                "-p",
                "no:cacheprovider",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        shutil.rmtree(bindir, ignore_errors=True)


def test_under_ci_a_server_that_cannot_start_fails_the_test_with_the_reason():
    result = run_with_a_broken_server(ci=True)
    assert result.returncode != 0
    assert "never skipped in CI" in result.stdout and "could not create directory" in result.stdout
    assert "skipped" not in result.stdout.splitlines()[-1]


def test_outside_ci_it_is_skipped_and_says_why():
    result = run_with_a_broken_server(ci=False)
    assert result.returncode == 0 and "1 skipped" in result.stdout
    assert "PostgreSQL tests skipped (CI unset)" in result.stdout
    assert "could not create directory" in result.stdout
