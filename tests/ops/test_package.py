"""The auditor's package: checkable with sha256sum and a stdlib script, safe names, the right records."""

from __future__ import annotations

import csv
import io
import json
import random
import re
import subprocess
import sys
import zipfile
from datetime import date, timedelta
from pathlib import Path

import orjson
import pytest

from tests.ops.conftest import run_cli
from tracker.activitylog.canonical import canonical_bytes
from tracker.core import clock
from tracker.core.errors import InvalidInput
from tracker.domain.evidence import Evidence
from tracker.ops.package import build_package
from tracker.ops.package_selection import Period
from tracker.ops.package_texts import VERIFY_CHAIN_SCRIPT


def unzip(data: bytes, folder: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        zf.extractall(folder)
    return folder


def sha256sum_check(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True
    )


def decisions(folder: Path) -> list[dict]:
    raw = (folder / "decisions.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


@pytest.fixture
def period() -> Period:
    today = clock.today()
    return Period(today - timedelta(days=60), today)


@pytest.fixture
def package(world, period, tmp_path) -> Path:
    return unzip(build_package(world.store, world.blobs, period), tmp_path / "package")


def test_the_package_passes_sha256sum_c_and_fails_after_one_flipped_byte(
    world, env, period, tmp_path
):
    out = tmp_path / "package.zip"
    result = run_cli(
        env,
        "package",
        "create",
        "--out",
        str(out),
        "--from",
        period.start.isoformat(),
        "--to",
        period.end.isoformat(),
    )
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(out) as zf:
        zf.extractall(folder)
    checked = sha256sum_check(folder)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    listed = {line.split("  ", 1)[1] for line in (folder / "SHA256SUMS").read_text().splitlines()}
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert listed == on_disk - {"SHA256SUMS"}
    victim = folder / "evidence" / "ev-approved.pdf"
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    checked = sha256sum_check(folder)
    assert checked.returncode != 0
    assert "evidence/ev-approved.pdf: FAILED" in checked.stdout


def test_names_inside_the_package_are_safe_ascii_whatever_the_uploader_called_the_file(package):
    names = [p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file()]
    assert all(re.fullmatch(r"[A-Za-z0-9_./-]+", n) and ".." not in n for n in names), names
    rows = {r["evidence_id"]: r for r in decisions(package)}
    assert rows["ev-rejected"]["file_name"] == "../../etc/passwd"
    assert rows["ev-rejected"]["package_file"] == "evidence/ev-rejected.pdf"
    assert rows["ev-approved"]["file_name"] == "切結書 王小明 (final).pdf"


def test_decisions_csv_carries_each_review_decision_with_iso_dates(package, world):
    rows = {r["evidence_id"]: r for r in decisions(package)}
    approved = rows["ev-approved"]
    assert approved["state"] == "approved" and approved["reviewer"] == "it.office"
    assert approved["subject"] == "vendor_staff:s-1" and approved["obligation"] == "8.6"
    assert approved["kind"] == "staff_pledge" and len(approved["sha256"]) == 64
    assert date.fromisoformat(approved["effective"]) == world.today - timedelta(days=31)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", approved["reviewed_at"])
    assert rows["ev-rejected"]["reason"] == "'=簽名欄空白，請重新簽署"  # never run as a formula
    assert rows["ev-pending"]["state"] == "submitted" and rows["ev-pending"]["reviewed_at"] == ""


def test_the_audit_records_of_the_period_are_included_as_stored(package, world):
    folder = package / "audit-records"
    assert sorted(p.name for p in folder.iterdir()) == ["ev-audit-pdf.pdf", "ev-audit-xlsx.xlsx"]
    assert (folder / "ev-audit-xlsx.xlsx").read_bytes() == b"PK\x03\x04 not really a workbook"


def test_an_agency_package_holds_only_that_agencys_records(world, period, tmp_path):
    folder = unzip(
        build_package(world.store, world.blobs, period, agency_id="ag-dv"), tmp_path / "dv"
    )
    assert [r["evidence_id"] for r in decisions(folder)] == ["ev-pending"]
    assert not (folder / "audit-records").exists()


def test_a_vendor_package_holds_only_that_vendors_evidence(world, period, tmp_path):
    folder = unzip(
        build_package(world.store, world.blobs, period, vendor_id="v-a"), tmp_path / "va"
    )
    assert {r["evidence_id"] for r in decisions(folder)} == {"ev-approved", "ev-rejected"}


def test_evidence_outside_the_period_is_left_out(world, tmp_path):
    long_ago = Period(world.today - timedelta(days=900), world.today - timedelta(days=800))
    folder = unzip(build_package(world.store, world.blobs, long_ago), tmp_path / "old")
    assert decisions(folder) == []
    assert (folder / "activity-log" / "extract.jsonl").read_bytes() == b""


def test_the_log_extract_is_byte_for_byte_and_chains_from_the_hash_noted_before_it(world, package):
    log_lines = world.store.log.path.read_bytes().splitlines(keepends=True)
    extract = (package / "activity-log" / "extract.jsonl").read_bytes()
    assert extract and extract in b"".join(log_lines)
    chain = dict(
        line.split(": ", 1)
        for line in (package / "activity-log" / "chain.txt").read_text().splitlines()
        if ": " in line
    )
    first = orjson.loads(extract.splitlines()[0])
    assert first["prev_hash"] == chain["hash_before_first_line"]
    checked = subprocess.run(
        [sys.executable, "-I", "activity-log/verify_chain.py"],
        cwd=package,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout
    assert "OK" in checked.stdout


def test_the_chain_checker_catches_an_edited_line_of_the_extract(package):
    extract = package / "activity-log" / "extract.jsonl"
    extract.write_bytes(extract.read_bytes().replace("北辰資訊".encode(), "南辰資訊".encode(), 1))
    checked = subprocess.run(
        [sys.executable, "-I", "activity-log/verify_chain.py"],
        cwd=package,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 1 and "does not match its hash" in checked.stdout


def test_the_chain_checker_writes_json_exactly_as_the_application_hashes_it(tmp_path):
    """The standalone script must reproduce the project's canonical bytes, floats and escapes included."""
    namespace: dict = {}
    exec(compile(VERIFY_CHAIN_SCRIPT, "verify_chain.py", "exec"), namespace)
    rng = random.Random(7)
    samples = [{"a": 1, "b": [True, None, 'é\n\t"\\\u2028'], "c": {"z": 0.1, "y": -0.0}}]
    samples += [
        {"x": rng.random() * 10 ** rng.randint(-30, 30), "n": rng.randint(-(10**15), 10**15)}
        for _ in range(20000)
    ]
    samples += [
        {
            "k": 1e-05,
            "m": 1.5e-5,
            "o": 9.99e-5,
            "p": 1e16,
            "q": 1.2345678901234568e17,
            "s": "\x00\x1f\x7f",
        }
    ]
    for body in samples:
        assert namespace["canonical"](body).encode("utf-8") == canonical_bytes(body)


def test_the_readme_explains_verification_in_zh_tw_and_english(package):
    text = (package / "README.txt").read_text(encoding="utf-8")
    assert (
        "sha256sum -c SHA256SUMS" in text
        and "如何驗證" in text
        and "To verify without this software" in text
    )
    assert "decisions.csv" in text and "verify_chain.py" in text
    meta = json.loads((package / "package.json").read_text())
    assert meta["evidence"] == 3 and meta["audit_records"] == 2


def test_a_period_that_ends_before_it_starts_is_refused_with_one_line(world, env, tmp_path):
    result = run_cli(
        env,
        "package",
        "create",
        "--out",
        str(tmp_path / "p.zip"),
        "--from",
        "2026-06-30",
        "--to",
        "2026-01-01",
    )
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    with pytest.raises(InvalidInput):
        Period(date(2026, 6, 30), date(2026, 1, 1))


def test_a_missing_evidence_file_is_reported_in_decisions_csv_not_silently_dropped(
    world, period, tmp_path
):
    record = world.store.get(Evidence, "ev-pending")
    path = world.blobs.path(record.sha256)
    path.chmod(0o640)
    path.unlink()
    folder = unzip(build_package(world.store, world.blobs, period), tmp_path / "missing")
    row = next(r for r in decisions(folder) if r["evidence_id"] == "ev-pending")
    assert (row["file_problem"], row["package_file"]) == ("missing", "")
    assert sha256sum_check(folder).returncode == 0
