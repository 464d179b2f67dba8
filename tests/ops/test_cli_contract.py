"""Bad words on the operations commands give one line and exit 2, never a traceback."""

from __future__ import annotations

import pytest

from tests.ops.conftest import run_cli


@pytest.mark.parametrize(
    "args",
    [
        ["retention", "purge", "--before", "not-a-date"],
        ["retention", "report", "--date", "2026-02-30"],
        ["package", "create", "--out", "x.zip", "--from", "yesterday", "--to", "2026-01-01"],
        [
            "package",
            "create",
            "--out",
            "x.zip",
            "--from",
            "2026-01-01",
            "--to",
            "2026-02-01",
            "--agency",
            "ag-sw",
            "--vendor",
            "v-a",
        ],
        [
            "package",
            "create",
            "--out",
            "x.zip",
            "--from",
            "2026-01-01",
            "--to",
            "2026-02-01",
            "--agency",
            "../x",
        ],
        ["backup", "verify"],
        ["backup", "create"],
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(env, args, tmp_path):
    result = run_cli(env, *args)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
