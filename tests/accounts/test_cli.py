"""``python -m tracker logs import`` and ``accounts list``, run as a user would (subprocess)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import date

import pytest

from tracker.domain.vendors import Agency
from tracker.services import account_application
from tracker.storage.store import Store

from .conftest import AGENCY_ID, query_log_csv


@pytest.fixture
def agency(settings):
    store = Store.open(settings)
    store.put(
        Agency(AGENCY_ID, "臺北市政府社會局", account_admin="林佳蓉"), actor="test", action="seed"
    )
    return AGENCY_ID


def tracker(cli_env, *args):
    return subprocess.run(
        [sys.executable, "-m", "tracker", *args],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def export(tmp_path):
    path = tmp_path / "查詢紀錄.csv"
    path.write_bytes(query_log_csv(250, date(2025, 1, 1), 30))
    return path


def test_logs_import_prints_one_json_object_with_rows_period_and_sha256(cli_env, agency, export):
    result = tracker(cli_env, "logs", "import", str(export), "--agency", agency, "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rows"] == 250 and summary["agency_id"] == agency
    assert summary["sha256"] == hashlib.sha256(export.read_bytes()).hexdigest()
    assert summary["first_queried_at"].startswith("2025-01-01") and summary[
        "last_queried_at"
    ].startswith("2025-01-30")
    listed = json.loads(tracker(cli_env, "logs", "list", "--agency", agency, "--json").stdout)
    assert [i["sha256"] for i in listed["imports"]] == [summary["sha256"]]


def test_logs_import_of_the_same_file_again_is_refused(cli_env, agency, export):
    assert tracker(cli_env, "logs", "import", str(export), "--agency", agency).returncode == 0
    again = tracker(cli_env, "logs", "import", str(export), "--agency", agency, "--json")
    assert again.returncode != 0 and again.stdout == ""
    assert "已於" in again.stderr and "already imported" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1


def test_logs_import_of_a_bad_file_gives_the_parsers_message_on_one_line(cli_env, agency, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("時間,帳號\n2025-01-02 10:00:00,tpsw0101\n", encoding="utf-8")
    result = tracker(cli_env, "logs", "import", str(bad), "--agency", agency)
    assert result.returncode != 0
    assert "缺少必要欄位" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_logs_import_for_an_unknown_agency_is_refused(cli_env, agency, export):
    result = tracker(cli_env, "logs", "import", str(export), "--agency", "ag-nowhere")
    assert (
        result.returncode != 0 and "查無機關" in result.stderr and "Traceback" not in result.stderr
    )


def test_logs_import_of_a_missing_file_is_one_line(cli_env, agency, tmp_path):
    result = tracker(cli_env, "logs", "import", str(tmp_path / "none.csv"), "--agency", agency)
    assert (
        result.returncode != 0
        and "無法讀取檔案" in result.stderr
        and "Traceback" not in result.stderr
    )


def test_accounts_list_prints_the_register_as_json(cli_env, settings, agency):

    from .conftest import HOLDER_ID

    store = Store.open(settings)
    account_application.register_account(
        store,
        "user.chen",
        agency_id=agency,
        holder="陳怡君",
        national_id=HOLDER_ID,
        unit="社會救助科",
        legal_basis="social_assistance_act",
        business="資格審核",
        channels=["online_service"],
    )
    result = tracker(cli_env, "accounts", "list", "--agency", agency, "--json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert listed["count"] == 1 and listed["accounts"][0]["holder"] == "陳怡君"
    assert (
        listed["accounts"][0]["state"] == "draft"
        and listed["accounts"][0]["removal_overdue"] is False
    )
    assert HOLDER_ID not in result.stdout


def test_logs_import_reports_the_skipped_totals_row_and_the_unrecognised_columns(
    cli_env, agency, tmp_path, settings
):
    from tests.audit.exports import HEADER_ZH, csv_bytes, log_rows
    from tracker.domain.audits import QueryLogImport

    path = tmp_path / "合計.csv"
    rows = [[*row, "社工科"] for row in log_rows(40)]
    path.write_bytes(csv_bytes(rows, header=[*HEADER_ZH, "承辦單位"]) + "合計 40 筆\n".encode())
    result = tracker(cli_env, "logs", "import", str(path), "--agency", agency, "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rows"] == 40 and summary["totals_row"] == {"line": 42, "count": 40}
    assert summary["unrecognised_columns"] == ["承辦單位"]
    (record,) = Store.open(settings).all(QueryLogImport, agency=agency)
    assert (record.totals_row_line, record.unrecognised_columns) == (42, ("承辦單位",))
    text = tracker(cli_env, "logs", "list", "--agency", agency, "--json")
    assert json.loads(text.stdout)["imports"][0]["totals_row"]["count"] == 40
