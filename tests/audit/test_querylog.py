"""Reading NIA query-log exports (point 7.2): formats, encodings, dates, refusals."""

from __future__ import annotations

import hashlib
import os
from datetime import date, datetime

import pytest

from tests.audit.exports import HEADER_EN, HEADER_ZH, csv_bytes, log_rows, xlsx_bytes
from tracker.core.dates import parse_day
from tracker.core.errors import InvalidInput
from tracker.querylog.reader import open_export, read_export

ROW = ["2025-03-02 14:05:33", "u01", "入出境資料查詢", "A123456789", "個案訪視", "10.0.0.1"]


def refusal(data: bytes) -> str:
    with pytest.raises(InvalidInput) as caught:
        read_export(data)
    return str(caught.value)


# --- encodings and formats --------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp950", "big5"])
def test_a_csv_is_read_in_each_supported_encoding(encoding):
    rows = [ROW, ["114/03/03 08:00:00", "王小明", "居留資料查詢", "B223456789", "身障資格審查", ""]]
    log = read_export(csv_bytes(rows, encoding=encoding))
    assert log.format == "csv"
    assert log.table["account"].to_pylist() == ["u01", "王小明"]
    assert log.table["query_type"].to_pylist() == ["入出境資料查詢", "居留資料查詢"]
    assert log.table["purpose"].to_pylist() == ["個案訪視", "身障資格審查"]
    assert log.encoding == ("cp950" if encoding in ("cp950", "big5") else "utf-8")


def test_a_big5_file_whose_first_lines_are_plain_ascii_is_still_read_as_big5():
    rows = [[*ROW[:2], "query", *ROW[3:5], ""] for _ in range(3000)] + [
        [*ROW[:2], "居留資料查詢", *ROW[3:]]
    ]
    log = read_export(csv_bytes(rows, header=HEADER_EN, encoding="cp950"))
    assert log.encoding == "cp950" and log.table["query_type"][-1].as_py() == "居留資料查詢"


def test_the_sha256_is_that_of_the_raw_bytes():
    data = csv_bytes([ROW])
    assert read_export(data).sha256 == hashlib.sha256(data).hexdigest()


def test_an_xlsx_is_recognised_by_its_bytes_whatever_its_name():
    log = read_export(xlsx_bytes([ROW]), filename="export.csv")
    assert log.format == "xlsx"
    assert log.table["subject_id"].to_pylist() == ["A123456789"]
    assert read_export(csv_bytes([ROW]), filename="export.xlsx").format == "csv"


def test_xlsx_date_cells_serial_numbers_and_text_dates_are_all_read():
    rows = [
        [datetime(2025, 3, 2, 14, 5, 33), "u1", "q", "A123456789", "", ""],
        [45718.5868287037, "u2", "q", "A123456789", "", ""],  # 2025-03-02 14:05:02 as a number
        ["114/03/02 14:05:33", "u3", "q", "A123456789", "", ""],
    ]
    log = read_export(xlsx_bytes(rows))
    assert log.table["queried_at"].to_pylist() == [
        datetime(2025, 3, 2, 14, 5, 33),
        datetime(2025, 3, 2, 14, 5, 2),
        datetime(2025, 3, 2, 14, 5, 33),
    ]


def test_xlsx_lines_are_sheet_rows_even_below_a_title():
    data = xlsx_bytes([ROW, ROW], title_rows=[["臺北市政府社會局 查詢紀錄"], []])
    assert read_export(data).table["line"].to_pylist() == [4, 5]


def test_xlsx_numeric_subject_ids_and_accounts_are_read_as_text():
    log = read_export(xlsx_bytes([["2025-03-02 14:05", 1234, "q", 20250302, None, None]]))
    assert log.table["account"].to_pylist() == ["1234"]
    assert log.table["subject_id"].to_pylist() == ["20250302"]


# --- dates ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2025-03-02 14:05:33", datetime(2025, 3, 2, 14, 5, 33)),
        ("2025-03-02T14:05:33", datetime(2025, 3, 2, 14, 5, 33)),
        ("2025-03-02 14:05", datetime(2025, 3, 2, 14, 5)),
        ("2025/03/02 14:05:33", datetime(2025, 3, 2, 14, 5, 33)),
        ("2025/3/2 9:05", datetime(2025, 3, 2, 9, 5)),
        ("114/03/02 14:05:33", datetime(2025, 3, 2, 14, 5, 33)),
        ("114-03-02 14:05", datetime(2025, 3, 2, 14, 5)),
        ("99/12/31 23:59:59", datetime(2010, 12, 31, 23, 59, 59)),
        ("114年03月02日 14時05分33秒", datetime(2025, 3, 2, 14, 5, 33)),
        ("2025/3/2 下午 02:05:33", datetime(2025, 3, 2, 14, 5, 33)),
        ("2025/3/2 上午 12:05:33", datetime(2025, 3, 2, 0, 5, 33)),
        ("45718.5868287037", datetime(2025, 3, 2, 14, 5, 2)),
        ("2024-02-29 00:00:00", datetime(2024, 2, 29)),
        ("2025-03-02", datetime(2025, 3, 2)),  # a day without a time of day: 00:00
    ],
)
def test_each_date_form_is_read(text, expected):
    log = read_export(csv_bytes([[text, *ROW[1:]]]))
    assert log.table["queried_at"].to_pylist() == [expected]


def test_machine_shaped_and_hand_edited_dates_mix_in_one_file():
    rows = [[f"2025-03-{d:02d} 10:00:00", *ROW[1:]] for d in range(1, 6)]
    rows[2][0] = "2025/3/3 10:00"
    rows[4][0] = "114/03/05 10:00:00"
    times = read_export(csv_bytes(rows)).table["queried_at"].to_pylist()
    assert times == [datetime(2025, 3, d, 10) for d in range(1, 6)]


BAD_DATES = [
    "2025-02-29 10:00",
    "2025-13-01 10:00",
    "114/03/32 10:00",
    "2025-03-02 24:00",
    "2025-03-02 14",
    "yesterday",
    "0/03/02 10:00",
    "1899-12-31 10:00",
]


@pytest.mark.parametrize("text", BAD_DATES)
def test_impossible_or_incomplete_dates_are_refused_with_their_line(text):
    message = refusal(csv_bytes([ROW, [text, *ROW[1:]]]))
    assert "第 3 行查詢時間無法辨識" in message
    assert "line 3: unreadable queried_at" in message


@pytest.mark.parametrize("text", ["2025-03-02", "114/03/02", "2025/3/2", "114年3月2日"])
def test_a_day_is_read_in_iso_or_roc_form(text):
    assert parse_day(text) == date(2025, 3, 2)


def test_an_unreadable_day_is_refused():
    with pytest.raises(InvalidInput):
        parse_day("114/02/30")


# --- headers ---------------------------------------------------------------------


def test_english_headers_are_accepted_in_any_case_and_spacing():
    header = ["Query Time", " ACCOUNT ", "query item", "Subject", "Reason", "Source IP"]
    log = read_export(csv_bytes([ROW], header=header))
    assert log.table["ip"].to_pylist() == ["10.0.0.1"]
    assert log.columns["queried_at"] == "Query Time"


def test_columns_may_come_in_any_order_and_unknown_ones_are_ignored():
    order = [5, 3, 0, 2, 1]
    header = ["備註"] + [HEADER_EN[i] for i in order]
    log = read_export(csv_bytes([["x"] + [ROW[i] for i in order]], header=header))
    row = log.table.to_pylist()[0]
    assert (row["account"], row["subject_id"], row["line"]) == ("u01", "A123456789", 2)
    assert row["queried_at"] == datetime(2025, 3, 2, 14, 5, 33)
    assert log.has_column("purpose") is False
    assert row["purpose"] is None


def test_aliases_such_as_時間_and_帳號_are_recognised():
    header = ["時間", "帳號", "查詢類別", "身分證號"]
    log = read_export(csv_bytes([ROW[:4]], header=header))
    assert log.population == 1


# --- line numbers and blank rows -----------------------------------------------


def test_csv_lines_start_at_two_below_the_header():
    assert read_export(csv_bytes(log_rows(3))).table["line"].to_pylist() == [2, 3, 4]


def test_blank_lines_are_skipped_but_keep_their_place_in_the_count():
    data = csv_bytes(log_rows(2)) + b"\n,,,,,\n" + csv_bytes(log_rows(1)).split(b"\n", 1)[1]
    assert read_export(data).table["line"].to_pylist() == [2, 3, 6]


def test_a_quoted_value_spanning_lines_moves_later_lines_down():
    rows = log_rows(4)
    rows[1][4] = "第一行\n第二行"
    log = read_export(csv_bytes(rows, newline="\r\n"))
    assert log.table["line"].to_pylist() == [2, 3, 5, 6]
    assert log.table["purpose"][1].as_py() == "第一行\n第二行"


def test_quoted_values_on_one_line_keep_the_simple_line_count():
    rows = log_rows(3)
    rows[1][4] = '訪視, "複查"'
    log = read_export(csv_bytes(rows))
    assert log.table["line"].to_pylist() == [2, 3, 4]
    assert log.table["purpose"][1].as_py() == '訪視, "複查"'


def test_a_header_without_rows_is_a_valid_export_of_nothing():
    log = read_export(csv_bytes([]))
    assert log.population == 0


def test_a_large_export_is_read_with_every_line_number():
    log = read_export(csv_bytes(log_rows(50_000)))
    lines = log.table["line"].to_numpy()
    assert log.population == 50_000 and lines[0] == 2 and lines[-1] == 50_001


@pytest.mark.parametrize("space", [" ", "   ", "\t", "\u3000", "\u00a0 "])
def test_whitespace_only_cells_are_blank_and_blank_purposes_become_none(space):
    log = read_export(csv_bytes([[*ROW[:4], space, space]]))
    assert log.table.to_pylist()[0]["purpose"] is None
    assert refusal(csv_bytes([[ROW[0], space, *ROW[2:]]])).count("使用者帳號空白") == 1


def test_open_export_reads_a_file_and_names_a_missing_one(write, tmp_path):
    assert open_export(write(csv_bytes([ROW]))).population == 1
    with pytest.raises(InvalidInput, match="無法讀取檔案"):
        open_export(tmp_path / "missing.csv")


# --- refusals ----------------------------------------------------------------------


def test_missing_required_columns_are_named_in_both_languages():
    message = refusal(csv_bytes([ROW[:2]], header=["查詢時間", "帳號"]))
    assert "缺少必要欄位：查詢項目、查詢對象證號" in message
    assert "missing required columns: query_type, subject_id" in message


def test_bad_dates_are_listed_by_line_up_to_twenty_then_counted():
    rows = log_rows(30)
    for row in rows:
        row[0] = "not a date"
    message = refusal(csv_bytes(rows))
    assert "第 2、3、4" in message and "21 行及另外 10 行" in message
    assert "lines 2, 3, 4" in message and "and 10 more" in message


def test_the_example_of_a_bad_date_never_shows_a_full_id():
    message = refusal(csv_bytes([["A123456789", *ROW[1:]]]))
    assert "A123456789" not in message and "A12****789" in message


@pytest.mark.parametrize("column, label", [(1, "使用者帳號"), (2, "查詢項目"), (3, "查詢對象證號")])
def test_an_empty_required_cell_is_refused_with_its_line(column, label):
    rows = log_rows(3)
    rows[2][column] = ""
    message = refusal(csv_bytes(rows))
    assert f"第 4 行{label}空白" in message


def test_undecodable_bytes_are_refused_with_their_line():
    data = (
        csv_bytes(log_rows(3))
        + "2025-03-02 10:00,u1,查詢,A123456789,,\n".encode()[:-8]
        + b"\xff\xfe,\n"
    )
    message = refusal(data)
    assert "第 5 行有無法辨識的字元" in message and "UTF-8" in message


@pytest.mark.parametrize(
    "data, words",
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF"),
        (os.urandom(2048) + b"\x00" * 16, "binary"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, ".xls"),
        (b"PK\x03\x04" + b"\x00" * 64, "ZIP"),
    ],
)
def test_files_that_are_not_exports_are_refused(data, words):
    assert words in refusal(data)


def test_an_empty_file_is_refused():
    assert "0 bytes" in refusal(b"")


def test_duplicate_headers_are_refused():
    message = refusal(csv_bytes([ROW + ["x"]], header=HEADER_ZH + ["使用者帳號"]))
    assert "重複" in message and "duplicate header" in message


def test_two_aliases_of_one_field_are_refused_as_ambiguous():
    message = refusal(csv_bytes([ROW + ["2025-03-02 10:00"]], header=HEADER_ZH + ["時間"]))
    assert "只能留一欄" in message


def test_a_row_with_the_wrong_number_of_fields_is_refused_with_its_line():
    data = csv_bytes(log_rows(2)) + b"2025-03-02 10:00,u1,q\n"
    assert "第 4 行欄位數" in refusal(data)


def test_a_text_file_that_is_not_a_csv_export_names_what_it_found():
    message = refusal("這是一封信\n不是查詢紀錄\n".encode())
    assert "缺少必要欄位" in message and "這是一封信" in message


# --- large files, read in slices on several threads ---------------------------------


@pytest.fixture
def small_slices(monkeypatch):
    """Slices of about 300 bytes, so a few hundred rows make many slices."""
    monkeypatch.setattr("tracker.querylog.csvreader.SLICE_BYTES", 300)


def test_a_file_read_in_many_slices_equals_one_read_whole(monkeypatch):
    data = csv_bytes(log_rows(400))
    whole = read_export(data)
    monkeypatch.setattr("tracker.querylog.csvreader.SLICE_BYTES", 300)
    sliced = read_export(data)
    assert sliced.table["queried_at"].num_chunks > 10
    assert sliced.table.equals(whole.table) and sliced.sha256 == whole.sha256
    assert sliced.table["line"].to_pylist() == list(range(2, 402))


def test_each_slice_may_have_its_own_date_shape(small_slices):
    rows = log_rows(200)
    for row in rows[100:]:
        row[0] = row[0].replace("2025-", "114/").replace("-", "/")
    times = read_export(csv_bytes(rows)).table["queried_at"].to_pylist()
    assert times == [datetime.strptime(r[0], "%Y-%m-%d %H:%M:%S") for r in log_rows(200)]


def test_bad_cells_in_later_slices_are_refused_with_their_lines(small_slices):
    rows = log_rows(300)
    rows[150][0] = "2025-02-30 10:00:00"
    rows[250][3] = "  "
    message = refusal(csv_bytes(rows))
    assert "第 152 行查詢時間無法辨識" in message and "第 252 行查詢對象證號空白" in message


def test_blank_lines_in_later_slices_keep_their_place(small_slices):
    data = csv_bytes(log_rows(100)) + b"\n,,,,,\n" + csv_bytes(log_rows(100)).split(b"\n", 1)[1]
    lines = read_export(data).table["line"].to_pylist()
    assert lines == list(range(2, 102)) + list(range(104, 204))


def test_big5_text_first_met_in_a_later_slice_is_read_as_big5(monkeypatch):
    monkeypatch.setattr("tracker.querylog.csvreader.SLICE_BYTES", 1 << 12)
    rows = [[*r[:2], "query", *r[3:4], "", r[5]] for r in log_rows(3000)]  # past the 64 KiB head
    rows[2900][2] = "居留資料查詢"
    log = read_export(csv_bytes(rows, header=HEADER_EN, encoding="cp950"))
    assert log.encoding == "cp950" and log.table["query_type"][2900].as_py() == "居留資料查詢"


def test_undecodable_bytes_in_a_later_slice_are_refused_with_their_line(small_slices):
    data = csv_bytes(log_rows(200)) + b"2025-03-02 10:00,u1,\xff\xfe,A123456789,,\n"
    assert "第 202 行有無法辨識的字元" in refusal(data)


def test_a_ragged_row_in_a_later_slice_is_refused_with_its_line(small_slices):
    data = csv_bytes(log_rows(200)) + b"2025-03-02 10:00,u1,q\n"
    assert "第 202 行欄位數" in refusal(data)


def test_quoted_files_are_checked_batch_by_batch_with_the_same_lines(monkeypatch):
    rows = log_rows(300)
    rows[10][4] = '訪視, "複查"'
    monkeypatch.setattr("tracker.querylog.csvreader.SLICE_BYTES", 1 << 10)
    log = read_export(csv_bytes(rows))
    assert log.table["purpose"][10].as_py() == '訪視, "複查"'
    assert log.table["line"].to_pylist() == list(range(2, 302))
