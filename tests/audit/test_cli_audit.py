"""``python -m tracker audit sample``: the command-line contract, run as a user would."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.audit.exports import csv_bytes, log_rows, xlsx_bytes
from tracker.cli import main


def run(env, *args):
    command = [sys.executable, "-m", "tracker", "audit", "sample", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def big_export(write):
    return write(csv_bytes(log_rows(20_000)), "big.csv")


def test_the_json_output_is_exactly_one_object_with_the_contract_fields(cli_env, big_export):
    result = run(cli_env, big_export, "--seed", 7, "--json")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) == 1
    sample = json.loads(result.stdout)
    assert (sample["population"], sample["sample_size"], sample["seed"]) == (20_000, 20, 7)
    assert len(sample["rows"]) == 20
    first = sample["rows"][0]
    assert set(first) >= {
        "line",
        "queried_at",
        "account",
        "query_type",
        "subject_id",
        "purpose",
        "ip",
    }
    assert first["subject_id"].count("*") == 4 and first["line"] >= 2


def test_the_same_seed_prints_the_same_sample_and_another_seed_another(cli_env, big_export):
    first = run(cli_env, big_export, "--seed", 7, "--json").stdout
    assert run(cli_env, big_export, "--seed", 7, "--json").stdout == first
    assert (
        json.loads(run(cli_env, big_export, "--seed", 8, "--json").stdout)["rows"]
        != json.loads(first)["rows"]
    )


def test_a_bad_file_exits_2_with_one_line_naming_the_lines_and_no_traceback(cli_env, write):
    rows = log_rows(5)
    rows[1][0], rows[3][0] = "2025/02/30 10:00", "soon"
    result = run(cli_env, write(csv_bytes(rows)), "--seed", 1, "--json")
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "第 3、5 行查詢時間無法辨識" in result.stderr and "Traceback" not in result.stderr


def test_a_missing_file_is_one_line_of_error(cli_env, tmp_path):
    result = run(cli_env, tmp_path / "nowhere.csv", "--seed", 1, "--json")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_nothing_is_written_to_the_data_folder(cli_env, settings, big_export):
    assert run(cli_env, big_export, "--seed", 1, "--json").returncode == 0
    assert not settings.data_dir.exists() or not any(settings.data_dir.rglob("*"))


def sample_of(capsys, *args) -> dict:
    assert main(["audit", "sample", *map(str, args), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_period_accepts_iso_and_roc_days(capsys, big_export):
    # rows every 7 minutes from 2025-03-03 09:00: 3 March holds 15 hours of them
    iso = sample_of(capsys, big_export, "--seed", 1, "--from", "2025-03-03", "--to", "2025-03-03")
    roc = sample_of(capsys, big_export, "--seed", 1, "--from", "114/03/03", "--to", "114/03/03")
    assert iso == roc and iso["population"] == 15 * 60 // 7 + 1 and iso["from"] == "2025-03-03"


def test_an_xlsx_export_is_sampled_with_sheet_rows_as_lines(capsys, write):
    sample = sample_of(capsys, write(xlsx_bytes(log_rows(12)), "log.xlsx"), "--seed", 2)
    assert sample["population"] == 12 and sample["sample_size"] == 10
    assert all(2 <= row["line"] <= 13 for row in sample["rows"])


def test_risk_picks_are_extra_rows_labelled_with_their_reason(capsys, big_export):
    sample = sample_of(capsys, big_export, "--seed", 3, "--risk", "--departed", "user01")
    picks = [row["pick"] for row in sample["rows"]]
    assert picks.count("random") == sample["sample_size"] == 20
    assert {"departed_holder", "outside_office_hours"} <= set(picks)


def test_without_json_a_readable_table_is_printed(capsys, big_export):
    assert main(["audit", "sample", str(big_export), "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "母體 population: 20000" in out and "抽樣 sample: 20" in out and "A1" in out
    assert "****" in out


BAD_ARGUMENTS = {
    "seed not a number": ["--seed", "x"],
    "no seed": [],
    "impossible day": ["--seed", "1", "--from", "114/02/30"],
    "period backwards": ["--seed", "1", "--from", "2025-03-05", "--to", "2025-03-01"],
}


@pytest.mark.parametrize("args", BAD_ARGUMENTS.values(), ids=BAD_ARGUMENTS)
def test_bad_arguments_are_a_one_line_usage_error(capsys, big_export, args):
    assert main(["audit", "sample", str(big_export), *args]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("錯誤 error:")


def test_another_module_can_add_a_command_to_the_audit_group():
    from tracker.cli import Parser
    from tracker.cli.audit import audit_actions, register

    parser = Parser(prog="tracker")
    sub = parser.add_subparsers(dest="command", parser_class=Parser)
    register(sub)
    audit_actions(sub).add_parser("record").set_defaults(func="record")
    assert parser.parse_args(["audit", "record"]).func == "record"
    assert parser.parse_args(["audit", "sample", "f.csv", "--seed", "1"]).seed == 1
