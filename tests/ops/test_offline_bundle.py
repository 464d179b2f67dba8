"""Offline installation: the bundle alone installs the app into a fresh virtual environment.

Building the bundle downloads the runtime lock's wheels from the package
registry, so the test is marked ``network``: deselected by default, run by CI
as a step of its own (``scripts/test.sh -m network``).  The install then runs with ``--no-index`` and ``PIP_CONFIG_FILE=/dev/null`` and no
``PIP_*`` variables, so the machine's own find-links (/opt/wheels), extra
indexes and constraints play no part: only the bundle is used.  Measured on the
2-core development machine: about 30 s to build (warm pip cache) and 40 s to
install.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tarfile
import time

import pytest

from tests.ops.conftest import ROOT


@pytest.mark.network
@pytest.mark.slow
def test_the_offline_bundle_installs_every_requirement_into_a_fresh_venv_without_an_index(tmp_path):
    if sys.platform != "linux":
        pytest.skip("the bundle targets manylinux servers")
    started = time.monotonic()
    build = subprocess.run(
        [
            "bash",
            "scripts/offline-bundle.sh",
            "--python",
            f"{sys.version_info.major}.{sys.version_info.minor}",
            "--platform",
            f"manylinux2014_{platform.machine()}",
            "--out",
            str(tmp_path / "built" / "wheelhouse"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    built = time.monotonic()
    assert build.returncode == 0, build.stderr[-3000:]

    with tarfile.open(
        tmp_path / "built" / "wheelhouse.tar.gz"
    ) as tar:  # what is carried to the server
        tar.extractall(tmp_path / "server", filter="data")
    bundle = tmp_path / "server" / "wheelhouse"
    names = os.listdir(bundle)
    assert {"requirements.txt", "INSTALL.txt", "SHA256SUMS"} <= set(names)
    assert any(n.startswith("pip-") for n in names) and any(
        n.startswith("streamlit-") for n in names
    )
    checked = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=bundle, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    offline = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    offline["PIP_CONFIG_FILE"] = os.devnull
    pip = [
        str(venv / "bin" / "python"),
        "-m",
        "pip",
        "--disable-pip-version-check",
        "install",
        "--quiet",
        "--no-index",
        "--find-links",
        str(bundle),
    ]
    for extra in (
        ["--upgrade", "pip", "setuptools", "wheel"],
        ["-r", str(bundle / "requirements.txt")],
    ):
        result = subprocess.run(
            pip + extra, env=offline, capture_output=True, text=True, timeout=1200
        )
        assert result.returncode == 0, result.stderr[-3000:]
    installed = time.monotonic()

    app = dict(
        offline,
        PYTHONPATH=str(ROOT),
        TRACKER_DATA_DIR=str(tmp_path / "data"),
        TRACKER_EVIDENCE_DIR=str(tmp_path / "evidence"),
    )
    smoke = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import streamlit, tinydb, pyarrow, pyhanko, argon2, fpdf, openpyxl; "
            "from tracker.cli import main; raise SystemExit(main(['status', '--json']))",
        ],
        env=app,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert smoke.returncode == 0, smoke.stderr
    assert '"overall"' in smoke.stdout
    print(f"offline bundle: build {built - started:.0f} s, install {installed - built:.0f} s")
