"""The ``notify run --dry-run --json`` contract: one JSON array, ISO due dates, nothing written."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from datetime import date, timedelta

import pytest

from tracker.cli import main
from tracker.domain.enums import Status, SubjectKind

from .conftest import ROOT_DIR, START

ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CONTRACT_KEYS = {"obligation_id", "subject_kind", "subject_id", "due", "status"}


def tree(folder) -> str:
    """A digest of every file name and byte under ``folder``."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def dry(settings, capsys, when: str) -> tuple[int, str, str]:
    code = main(["notify", "run", "--dry-run", "--json", "--date", when], settings=settings)
    out = capsys.readouterr()
    return code, out.out, out.err


def roc(day: date, long: bool = False) -> str:
    if long:
        return f"民國 {day.year - 1911} 年 {day.month} 月 {day.day} 日"
    return f"{day.year - 1911}/{day.month:02d}/{day.day:02d}"


def check_contract(array) -> None:
    assert isinstance(array, list)
    for message in array:
        assert isinstance(message["to"], list) and message["to"]
        assert all(isinstance(a, str) and "@" in a for a in message["to"])
        assert isinstance(message["subject"], str) and message["subject"]
        assert isinstance(message["items"], list) and message["items"]
        for item in message["items"]:
            assert set(item) >= CONTRACT_KEYS
            assert item["due"] is None or ISO_DAY.match(item["due"])
            assert item["status"] in {s.value for s in Status}
            assert item["subject_kind"] in {k.value for k in SubjectKind}
            assert isinstance(item["obligation_id"], str) and isinstance(item["subject_id"], str)


def test_the_dry_run_prints_one_json_array_and_writes_nothing(world, settings, cli_env):
    before = tree(settings.data_dir)
    for when in ("2026-02-26", "115/02/26", None):
        args = [sys.executable, "-m", "tracker", "notify", "run", "--dry-run", "--json"]
        args += ["--date", when] if when else []
        result = subprocess.run(
            args, env=cli_env, capture_output=True, text=True, timeout=120, cwd=ROOT_DIR
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.count("\n") == 1 and result.stdout.startswith("[")
        check_contract(json.loads(result.stdout))
    assert tree(settings.data_dir) == before


def test_iso_and_roc_dates_give_the_same_array_on_many_days(world, settings, capsys):
    before = tree(settings.data_dir)
    seen_steps = set()
    day = date(2026, 1, 1)
    while day <= date(2026, 7, 10):
        code, iso_out, err = dry(settings, capsys, day.isoformat())
        assert (code, err) == (0, "")
        assert dry(settings, capsys, roc(day))[1] == iso_out
        if day.day == 1:
            assert dry(settings, capsys, roc(day, long=True))[1] == iso_out
        array = json.loads(iso_out)
        check_contract(array)
        seen_steps |= {it["step"] for m in array for it in m["items"]}
        day += timedelta(days=1)
    assert tree(settings.data_dir) == before
    assert {"due_30", "due_7", "due_1", "overdue_new", "overdue_weekly"} <= seen_steps
    assert {"overdue_daily", "weekly_summary"} <= seen_steps


def test_the_items_of_the_staff_members_pledge_show_its_due_date_as_an_iso_date(
    world, settings, capsys
):
    array = json.loads(dry(settings, capsys, roc(START - timedelta(days=1)))[1])
    [vendor_a] = [
        m for m in array if m["to"] == ["a1@beichen.example.org", "a2@beichen.example.org"]
    ]
    pledge = [it for it in vendor_a["items"] if it["subject_id"] == "s-a1"]
    assert {(it["obligation_id"], it["due"], it["status"], it["step"]) for it in pledge} == {
        (o, "2026-03-05", "missing", "due_1") for o in ("8.1", "8.6", "8.8")
    }


@pytest.mark.parametrize("bad", ["2026-02-30", "115/13/01", "tomorrow", "", "2026-2"])
def test_a_bad_date_is_a_one_line_usage_error_with_nothing_on_stdout(world, settings, capsys, bad):
    code, out, err = dry(settings, capsys, bad)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1


def test_notify_without_an_action_shows_its_help_and_exits_2(settings, capsys):
    assert main(["notify"], settings=settings) == 2
    assert main(["notify", "run", "--bogus"], settings=settings) == 2
