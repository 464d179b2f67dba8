"""Fixtures for the evidence tests: one sandbox for the session, the test PKI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.evidence import corpus, signing
from tracker.inspection.inspector import InspectionReport, inspect_pdf
from tracker.inspection.sandbox import Sandbox


@pytest.fixture(scope="session")
def sandbox():
    """A sandbox of its own, so these tests never share the process-wide one."""
    box = Sandbox()
    yield box
    box.close()


@pytest.fixture
def inspect(sandbox):
    """``inspect_pdf`` bound to the session's sandbox."""

    def run(data: bytes, **options) -> InspectionReport:
        return inspect_pdf(data, sandbox=sandbox, **options)

    return run


@pytest.fixture(scope="session")
def pki() -> corpus.TestPki:
    return corpus.test_pki()


@pytest.fixture
def trust_dir(tmp_path: Path, pki) -> Path:
    """A trust folder holding the test root CA, as the agency would hold GRCA/MOICA roots."""
    folder = tmp_path / "trust"
    folder.mkdir()
    (folder / "test-root.pem").write_bytes(pki.ca_pem)
    return folder


@pytest.fixture(scope="session")
def signed_pledge(pki) -> bytes:
    return corpus.signed(corpus.pledge(), pki)


@pytest.fixture(scope="session")
def cli_env_with_trust(tmp_path_factory) -> dict[str, str]:
    """Environment with data folders in a temporary folder and the test roots trusted
    (the single-certificate test CA and the root of :func:`tests.evidence.signing.chain`)."""
    base = tmp_path_factory.mktemp("cli")
    (base / "trust").mkdir()
    (base / "trust" / "root.pem").write_bytes(corpus.test_pki().ca_pem)
    (base / "trust" / "chain-root.pem").write_bytes(signing.chain().root_pem)
    env = dict(os.environ)
    env.update(
        TRACKER_DATA_DIR=str(base / "data"),
        TRACKER_EVIDENCE_DIR=str(base / "evidence"),
        TRACKER_TRUST_DIR=str(base / "trust"),
    )
    env.pop("TRACKER_MAX_UPLOAD_MB", None)
    return env
