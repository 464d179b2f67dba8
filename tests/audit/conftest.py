"""Fixtures of the query-log tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def write(tmp_path):
    """Write bytes to a file in the test's folder and return its path."""

    def _write(data: bytes, name: str = "export.csv"):
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return _write
