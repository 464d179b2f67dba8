"""The ``python -m tracker evidence`` contract, run as a user would run it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.evidence import corpus, signing
from tests.evidence.corpus import CONTRACT_FIELDS

ROOT = Path(__file__).resolve().parents[2]
BOUND_S = 15.0

# file name -> (bytes, expected verdict); checked with --kind staff_pledge --json.
# The other hostile files of the corpus are covered through the API in test_hostile_files.
CASES = {
    "pledge.pdf": (corpus.pledge, "accepted"),
    "scan.pdf": (corpus.image_only_scan, "needs_review"),
    "photo.pdf": (corpus.png_bytes, "rejected"),
    "empty.pdf": (lambda: b"", "rejected"),
    "truncated.pdf": (corpus.truncated, "rejected"),
    "garbage.pdf": (corpus.garbage_with_header, "rejected"),
    "locked.pdf": (corpus.encrypted, "rejected"),
    "cyclic.pdf": (corpus.cyclic_page_tree, "rejected"),
    "deep.pdf": (corpus.deep_nesting, "rejected"),
    "flate-bomb.pdf": (corpus.flate_bomb, "rejected"),
    "text-bomb.pdf": (corpus.text_bomb, "rejected"),
    "javascript.pdf": (corpus.with_javascript, "needs_review"),
    "signed.pdf": (lambda: corpus.signed(corpus.pledge(), corpus.test_pki()), "accepted"),
    "tampered.pdf": (
        lambda: corpus.tampered(corpus.signed(corpus.pledge(), corpus.test_pki())),
        "rejected",
    ),
    "restricted-signed.pdf": (
        lambda: signing.sign(signing.encrypt(corpus.pledge()), password=""),
        "accepted",
    ),
    "owner-only-rc4.pdf": (lambda: signing.encrypt(corpus.pledge(), "RC4-128"), "accepted"),
    "countersigned.pdf": (
        lambda: signing.sign(signing.sign(corpus.pledge()), signing.chain("陳美玲"), "Signature2"),
        "accepted",
    ),
    "commented.pdf": (
        lambda: signing.add_sticky_note(signing.sign(corpus.pledge())),
        "needs_review",
    ),
    "replaced.pdf": (
        lambda: signing.replace_page_content(signing.sign(corpus.pledge())),
        "rejected",
    ),
}


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float


def run_cli(*args: str, env: dict[str, str]) -> Run:
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "tracker", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return Run(done.returncode, done.stdout, done.stderr, time.monotonic() - began)


@pytest.fixture(scope="session")
def case_runs(tmp_path_factory, cli_env_with_trust) -> dict[str, Run]:
    """Every case checked once, two CLI processes at a time."""
    folder = tmp_path_factory.mktemp("files")
    for name, (build, _) in CASES.items():
        (folder / name).write_bytes(build())

    def check(name: str) -> Run:
        return run_cli(
            "evidence",
            "check",
            str(folder / name),
            "--kind",
            "staff_pledge",
            "--json",
            env=cli_env_with_trust,
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(CASES, pool.map(check, CASES), strict=True))


@pytest.mark.parametrize("name", CASES)
def test_check_prints_exactly_one_json_object_with_the_contract_fields(case_runs, name):
    run = case_runs[name]
    lines = run.stdout.splitlines()
    assert len(lines) == 1, run.stdout
    report = json.loads(lines[0])
    assert isinstance(report, dict) and report.keys() >= CONTRACT_FIELDS


@pytest.mark.parametrize("name", CASES)
def test_check_gives_the_expected_verdict_and_exit_code(case_runs, name):
    run = case_runs[name]
    verdict = CASES[name][1]
    assert json.loads(run.stdout)["verdict"] == verdict
    assert run.code == (1 if verdict == "rejected" else 0)


@pytest.mark.parametrize("name", CASES)
def test_check_never_shows_a_traceback_and_answers_within_15_seconds(case_runs, name):
    run = case_runs[name]
    assert "Traceback" not in run.stderr and "Traceback" not in run.stdout
    assert run.seconds < BOUND_S


def test_a_signed_pledge_reports_the_signer_through_the_cli(case_runs):
    report = json.loads(case_runs["signed.pdf"].stdout)
    assert (report["signed"], report["signature_intact"], report["signer"]) == (
        True,
        True,
        corpus.STAFF,
    )


def test_a_countersigned_pledge_lists_every_signer_through_the_cli(case_runs):
    report = json.loads(case_runs["countersigned.pdf"].stdout)
    assert [s["signer"] for s in report["signatures"]] == [corpus.STAFF, "陳美玲"]
    assert [s["modification"] for s in report["signatures"]] == ["lta_updates", "none"]
    assert report["signer"] == corpus.STAFF and report["signature_intact"] is True


def test_encryption_and_the_need_for_a_password_are_two_fields(case_runs):
    restricted = json.loads(case_runs["restricted-signed.pdf"].stdout)
    locked = json.loads(case_runs["locked.pdf"].stdout)
    plain = json.loads(case_runs["pledge.pdf"].stdout)
    assert (restricted["encrypted"], restricted["password_required"]) == (True, False)
    assert (locked["encrypted"], locked["password_required"]) == (True, True)
    assert (plain["encrypted"], plain["password_required"]) == (False, False)
    assert restricted["signatures"][0]["trusted"] is True


def test_what_changed_after_signing_is_in_the_reasons_and_the_signature_entry(case_runs):
    commented = json.loads(case_runs["commented.pdf"].stdout)
    replaced = json.loads(case_runs["replaced.pdf"].stdout)
    assert [r["code"] for r in commented["reasons"]] == ["annotations_after_signing"]
    assert commented["signatures"][0]["modification"] == "annotations"
    assert [r["code"] for r in replaced["reasons"]] == ["content_changed_after_signing"]
    assert replaced["signature_intact"] is True


def test_without_json_every_signature_gets_a_line(cli_env_with_trust, tmp_path):
    path = tmp_path / "two.pdf"
    path.write_bytes(CASES["countersigned.pdf"][0]())
    run = run_cli("evidence", "check", str(path), env=cli_env_with_trust)
    assert run.code == 0
    assert "Signature1: 王小明" in run.stdout and "Signature2: 陳美玲" in run.stdout
    assert "modification=lta_updates" in run.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("evidence", "check", "/nonexistent/upload.pdf", "--json"),
        ("evidence", "check", ".", "--json"),
        ("evidence", "check", "README.md", "--kind", "no_such_kind", "--json"),
        ("evidence", "check", "README.md", "--expect", " ", "--json"),
        ("evidence", "check"),
    ],
    ids=["missing file", "directory", "unknown kind", "blank expectation", "no file"],
)
def test_unusable_arguments_give_one_line_on_stderr_and_exit_2(cli_env_with_trust, args):
    run = run_cli(*args, env=cli_env_with_trust)
    assert run.code == 2
    assert run.stdout == ""
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


def test_a_file_over_the_configured_limit_is_rejected_with_hash_and_size(
    cli_env_with_trust, tmp_path
):
    path = tmp_path / "big.pdf"
    path.write_bytes(corpus.pledge())
    env = cli_env_with_trust | {"TRACKER_MAX_UPLOAD_MB": "0.01"}
    run = run_cli("evidence", "check", str(path), "--json", env=env)
    report = json.loads(run.stdout)
    assert run.code == 1
    assert (report["verdict"], report["reasons"][0]["code"]) == ("rejected", "too_large")
    assert report["bytes"] == len(corpus.pledge()) and len(report["sha256"]) == 64
    assert report["pages"] is None and report["keywords_missing"] == []


def test_without_json_the_summary_is_readable_in_both_languages(cli_env_with_trust, tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(corpus.image_only_scan())
    run = run_cli("evidence", "check", str(path), env=cli_env_with_trust)
    assert run.code == 0
    assert "需人工判讀 needs review" in run.stdout
    assert "沒有文字層" in run.stdout and "no text layer" in run.stdout


def test_a_printed_form_is_accepted_when_checked_for_its_own_number(cli_env_with_trust, tmp_path):
    out = tmp_path / "pledge.pdf"
    made = run_cli(
        "evidence",
        "form",
        "--staff",
        "林志明",
        "--vendor",
        "甲公司",
        "--contract",
        "系統維運",
        "--out",
        str(out),
        env=cli_env_with_trust,
    )
    number = made.stdout.strip()
    assert made.code == 0 and number.startswith("PLG-")
    assert made.stderr == ""  # not even font-subsetting chatter
    checked = run_cli(
        "evidence",
        "check",
        str(out),
        "--kind",
        "staff_pledge",
        "--expect",
        number,
        "--expect",
        "林志明",
        "--json",
        env=cli_env_with_trust,
    )
    report = json.loads(checked.stdout)
    assert report["verdict"] == "accepted"
    assert report["form_numbers"] == [number]
