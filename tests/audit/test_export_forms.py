"""Every form of NIA export read, or refused with a reason: compact ROC times, full-width
digits, a final totals row, annotated and unknown headers, Big5-HKSCS names."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import pytest

from tests.audit.exports import HEADER_ZH, csv_bytes, log_rows, xlsx_bytes
from tracker.cli import main
from tracker.core.errors import InvalidInput
from tracker.querylog.reader import read_export

ROW = ["1140302 140506", "u01", "入出境資料查詢", "A123456789", "個案訪視", "10.0.0.1"]
WIDE = str.maketrans("0123456789/:- ", "０１２３４５６７８９／：－\u3000")


def refusal(data: bytes) -> str:
    with pytest.raises(InvalidInput) as caught:
        read_export(data)
    return str(caught.value)


def times(data: bytes) -> list[datetime]:
    return read_export(data).table["queried_at"].to_pylist()


def roc_compact(moment: datetime) -> str:
    return f"{moment.year - 1911}{moment:%m%d %H%M%S}"


def hkscs_bytes(text: str) -> bytes:
    """``text`` in cp950, characters cp950 lacks in Big5-HKSCS (as such exports are written)."""
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp950")
        except UnicodeEncodeError:
            out += char.encode("big5hkscs")
    return bytes(out)


def csv_text(rows, header=HEADER_ZH) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


# --- compact ROC times and days without a time ----------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1140302 140506", datetime(2025, 3, 2, 14, 5, 6)),
        ("1140302140506", datetime(2025, 3, 2, 14, 5, 6)),
        ("1140302 1405", datetime(2025, 3, 2, 14, 5)),
        ("1140302 14:05:06", datetime(2025, 3, 2, 14, 5, 6)),
        ("1140302T140506", datetime(2025, 3, 2, 14, 5, 6)),
        ("1140302", datetime(2025, 3, 2)),
        ("1001231 235959", datetime(2011, 12, 31, 23, 59, 59)),
        ("20250302 140506", datetime(2025, 3, 2, 14, 5, 6)),
        ("20250302", datetime(2025, 3, 2)),
        ("114年3月2日", datetime(2025, 3, 2)),
        ("114年03月02日", datetime(2025, 3, 2)),
        ("民國114年3月2日", None),
        ("114/3/2", datetime(2025, 3, 2)),
        ("1130229", datetime(2024, 2, 29)),
    ],
)
def test_compact_roc_times_and_days_are_read(text, expected):
    if expected is None:
        assert "查詢時間無法辨識" in refusal(csv_bytes([[text, *ROW[1:]]]))
    else:
        assert times(csv_bytes([[text, *ROW[1:]]])) == [expected]


@pytest.mark.parametrize(
    "text", ["1140230 100000", "1141301", "1140302 246000", "11403021", "1140"]
)
def test_impossible_compact_times_are_refused_with_their_line(text):
    message = refusal(csv_bytes([ROW, [text, *ROW[1:]]]))
    assert "第 3 行查詢時間無法辨識" in message


def test_a_large_export_of_compact_times_is_read_row_by_row():
    start = datetime(2025, 1, 1, 8, 0, 0)
    moments = [start + timedelta(minutes=7 * i, seconds=i % 60) for i in range(5000)]
    rows = [[roc_compact(m), *ROW[1:]] for m in moments]
    rows[1234][0] = rows[1234][0].split()[0]  # one row with the day only
    expected = moments[:1234] + [moments[1234].replace(hour=0, minute=0, second=0)]
    assert times(csv_bytes(rows)) == expected + moments[1235:]


def test_compact_and_other_forms_mix_in_one_file():
    rows = [[t, *ROW[1:]] for t in ("1140302 140506", "2025-03-02 14:05:06", "114年3月2日")]
    assert times(csv_bytes(rows)) == [
        datetime(2025, 3, 2, 14, 5, 6),
        datetime(2025, 3, 2, 14, 5, 6),
        datetime(2025, 3, 2),
    ]


def test_xlsx_compact_dates_written_as_numbers_or_text_are_read():
    rows = [
        [1140302, *ROW[1:]],
        [1140302140506, *ROW[1:]],
        ["1140302 140506", *ROW[1:]],
        [20250302, *ROW[1:]],
        [45718.5868287037, *ROW[1:]],  # an Excel serial number stays one
    ]
    assert times(xlsx_bytes(rows)) == [
        datetime(2025, 3, 2),
        datetime(2025, 3, 2, 14, 5, 6),
        datetime(2025, 3, 2, 14, 5, 6),
        datetime(2025, 3, 2),
        datetime(2025, 3, 2, 14, 5, 2),
    ]


# --- full-width digits and spaces ------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    ["114/03/02 14:05:06", "2025-03-02 14:05:06", "1140302 140506", "114年3月2日 14時05分06秒"],
)
def test_full_width_digits_and_spaces_are_read_like_ascii(written):
    text = written.translate(WIDE)
    assert text != written
    assert times(csv_bytes([[text, *ROW[1:]]])) == [datetime(2025, 3, 2, 14, 5, 6)]


def test_a_whole_column_of_full_width_times_is_read_and_mixed_rows_too():
    rows = [[f"114/03/{d:02d} 09:00:00".translate(WIDE), *ROW[1:]] for d in range(1, 29)]
    rows[5][0] = "114/03/06 09:00:00"  # one typed in ASCII
    assert times(csv_bytes(rows)) == [datetime(2025, 3, d, 9) for d in range(1, 29)]


def test_full_width_times_in_an_xlsx_are_read():
    data = xlsx_bytes([["１１４０３０２　１４０５０６", *ROW[1:]]])
    assert times(data) == [datetime(2025, 3, 2, 14, 5, 6)]


def test_a_full_width_impossible_date_is_still_refused_and_shown_as_written():
    message = refusal(csv_bytes([["１１４／０２／３０ １０：００".translate(WIDE), *ROW[1:]]]))
    assert "第 2 行查詢時間無法辨識" in message and "１１４" in message


# --- a final totals row --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "totals",
    [
        "合計 3 筆",
        "合計,3,筆,,,",
        "合計：3筆,,,,,",
        '"總計 3 筆",,,,,',
        "共 3 筆",
        "合計　３　筆",
        ",,合計3筆,,,",
        "Total: 3 records,,,,,",
    ],
)
def test_a_totals_row_that_matches_the_record_count_is_skipped_and_reported(totals):
    data = csv_bytes(log_rows(3)) + f"{totals}\n".encode()
    log = read_export(data)
    assert log.population == 3 and log.table["line"].to_pylist() == [2, 3, 4]
    assert (log.totals_row.line, log.totals_row.count) == (5, 3)
    assert log.import_summary()["totals_row"] == {"line": 5, "count": 3}


def test_a_totals_row_with_a_thousands_separator_and_blank_lines_after_it():
    data = csv_bytes(log_rows(1234)) + '"合計 1,234 筆",,,,,\n\n,,,,,\n'.encode()
    log = read_export(data)
    assert log.population == 1234 and log.totals_row.line == 1236


def test_a_totals_row_whose_count_differs_refuses_the_file_naming_both_counts():
    message = refusal(csv_bytes(log_rows(3)) + "合計 4 筆\n".encode())
    assert "第 5 行為合計列（4 筆），但檔案有 3 筆紀錄" in message
    assert "line 5 is a totals row stating 4 records, but the file has 3" in message


def test_a_totals_row_counts_records_not_blank_lines():
    data = csv_bytes(log_rows(2)) + b"\n,,,,,\n" + "合計 2 筆\n".encode()
    assert read_export(data).totals_row.count == 2
    assert "筆數不符" in refusal(csv_bytes(log_rows(2)) + b"\n,,,,,\n" + "合計 4 筆\n".encode())


def test_a_totals_row_that_is_not_last_is_an_unreadable_record():
    data = (
        csv_bytes(log_rows(2))
        + "合計,2,筆,,,\n".encode()
        + csv_bytes(log_rows(1)).split(b"\n", 1)[1]
    )
    assert "第 4 行查詢時間無法辨識" in refusal(data)


def test_a_last_row_that_only_looks_like_a_total_is_a_record():
    data = csv_bytes(log_rows(2)) + "合計 2 筆 (含測試),x,y,A1,,\n".encode()
    assert "第 4 行查詢時間無法辨識" in refusal(data)


def test_a_header_and_a_totals_row_of_zero_is_an_empty_export():
    log = read_export(csv_bytes([]) + "合計 0 筆\n".encode())
    assert (log.population, log.totals_row.count) == (0, 0)


def test_a_totals_row_in_a_big5_file_with_quoted_values_is_skipped():
    rows = log_rows(3)
    rows[0][4] = '訪視, "複查"'
    data = csv_bytes(rows, encoding="cp950") + "總計：3 筆,,,,,\r\n".encode("cp950")
    log = read_export(data)
    assert (log.population, log.encoding, log.totals_row.line) == (3, "cp950", 5)


def test_a_totals_row_in_an_xlsx_is_skipped_and_reported_with_its_sheet_row():
    rows = [*log_rows(3), [], ["合計", 3, "筆"]]
    log = read_export(xlsx_bytes(rows, title_rows=[["臺北市政府社會局 查詢紀錄"]]))
    assert log.population == 3 and (log.totals_row.line, log.totals_row.count) == (7, 3)
    assert "筆數不符" in refusal(xlsx_bytes([*log_rows(3), ["合計 5 筆"]]))


def test_no_totals_row_is_reported_as_none():
    assert read_export(csv_bytes(log_rows(2))).import_summary()["totals_row"] is None


# --- headers with annotations and columns that are not recognised ---------------------------------


@pytest.mark.parametrize(
    "purpose_header",
    [
        "查詢事由（公文文號）",
        "查詢事由(公文文號)",
        "查詢事由 (公文文號)",
        "查詢事由【公文文號】",
        "查詢事由[說明]",
    ],
)
def test_an_annotated_header_is_mapped_to_its_column(purpose_header):
    header = [*HEADER_ZH[:4], purpose_header, HEADER_ZH[5]]
    log = read_export(csv_bytes([ROW], header=header))
    assert log.table["purpose"].to_pylist() == ["個案訪視"]
    assert log.columns["purpose"] == purpose_header
    assert log.unrecognised_columns == ()


def test_annotations_are_recognised_on_every_field_and_in_an_xlsx():
    header = [
        "查詢時間(民國)",
        "【必填】使用者帳號",
        "查詢項目（功能）",
        "查詢對象證號〔身分證〕",
        "查詢事由",
        "來源IP",
    ]
    for data in (csv_bytes([ROW], header=header), xlsx_bytes([ROW], header=header)):
        log = read_export(data)
        assert log.population == 1 and set(log.columns) == set(
            ["queried_at", "account", "query_type", "subject_id", "purpose", "ip"]
        )


def test_a_header_and_its_annotated_twin_are_refused_as_two_columns_for_one_field():
    header = [*HEADER_ZH, "查詢事由（公文文號）"]
    message = refusal(csv_bytes([[*ROW, "北市社字第1號"]], header=header))
    assert "都代表查詢事由，只能留一欄" in message


def test_unknown_columns_are_listed_in_order_and_never_dropped_silently():
    header = ["序號", *HEADER_ZH[:3], "承辦單位", *HEADER_ZH[3:], "備註（內部）"]
    row = ["1", *ROW[:3], "社工科", *ROW[3:], "-"]
    log = read_export(csv_bytes([row], header=header))
    assert log.unrecognised_columns == ("序號", "承辦單位", "備註（內部）")
    assert log.import_summary()["unrecognised_columns"] == ["序號", "承辦單位", "備註（內部）"]


def test_a_column_without_a_header_is_named_by_its_position_and_trailing_empty_ones_are_not():
    header = [*HEADER_ZH[:2], "", *HEADER_ZH[2:], "", ""]
    log = read_export(csv_bytes([[*ROW[:2], "x", *ROW[2:], "", ""]], header=header))
    assert log.unrecognised_columns == ("第 3 欄",)


def test_an_export_with_only_recognised_columns_lists_none():
    assert read_export(csv_bytes([ROW])).unrecognised_columns == ()


# --- Big5 (cp950) with Big5-HKSCS names ---------------------------------------------------------


def test_a_cp950_file_with_one_big5_hkscs_name_is_read_whole():
    rows = [[*ROW[:1], name, *ROW[2:]] for name in ("王小明", "林堃", "陳美玲")]
    log = read_export(hkscs_bytes(csv_text(rows)))
    assert log.table["account"].to_pylist() == ["王小明", "林堃", "陳美玲"]
    assert log.encoding == "cp950+big5hkscs"


def test_cp950_characters_keep_their_cp950_meaning_beside_hkscs_ones():
    rows = [[*ROW[:1], "王喆", ROW[2], ROW[3], "規費€100，碁", ROW[5]]]
    log = read_export(hkscs_bytes(csv_text(rows)))
    assert log.table["account"].to_pylist() == ["王喆"]
    assert log.table["purpose"].to_pylist() == ["規費€100，碁"]


def test_an_hkscs_name_met_only_in_a_later_slice_is_read(monkeypatch):
    monkeypatch.setattr("tracker.querylog.csvreader.SLICE_BYTES", 1 << 12)
    rows = [[r[0], "王小明", *r[2:]] for r in log_rows(3000)]
    rows[2900][1] = "林堃"
    log = read_export(hkscs_bytes(csv_text(rows)))
    assert log.table["account"][2900].as_py() == "林堃" and log.population == 3000


def test_an_hkscs_name_in_a_ragged_or_quoted_file_is_read_by_the_exact_reader():
    text = csv_text([[*ROW[:1], "林堃", *ROW[2:4], "第一行\n第二行", ROW[5]]])
    log = read_export(hkscs_bytes(text))
    assert log.table["account"].to_pylist() == ["林堃"] and log.table["line"].to_pylist() == [2]


def test_bytes_neither_cp950_nor_big5_hkscs_decodes_are_refused_with_their_line():
    good = hkscs_bytes(csv_text([[*ROW[:1], "林堃", *ROW[2:]]] * 3))
    message = refusal(good + b"1140302 140506,\xff\xfe,q,A123456789,,\n")
    assert "第 5 行有無法辨識的字元" in message and "Big5" in message


def test_a_plain_cp950_file_still_reports_cp950():
    assert (
        read_export(csv_bytes([[*ROW[:1], "王小明", *ROW[2:]]], encoding="cp950")).encoding
        == "cp950"
    )


# --- the command line reports it --------------------------------------------------------------------


def test_audit_sample_json_reports_the_skipped_totals_row_and_the_unrecognised_columns(
    capsys, write
):
    header = [*HEADER_ZH, "承辦單位"]
    rows = [[*r, "社工科"] for r in log_rows(30)]
    path = write(csv_bytes(rows, header=header) + "合計 30 筆\n".encode())
    assert main(["audit", "sample", str(path), "--seed", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["population"], out["sample_size"]) == (30, 10)
    assert out["totals_row"] == {"line": 32, "count": 30}
    assert out["unrecognised_columns"] == ["承辦單位"]
    assert out["columns"]["purpose"] == "查詢事由" and out["format"] == "csv"
    assert all(row["line"] <= 31 for row in out["rows"])


def test_audit_sample_json_has_no_totals_row_when_there_is_none(capsys, write):
    assert (
        main(["audit", "sample", str(write(csv_bytes(log_rows(5)))), "--seed", "1", "--json"]) == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["totals_row"] is None and out["unrecognised_columns"] == []


def test_audit_sample_text_output_names_what_was_left_out(capsys, write):
    path = write(
        csv_bytes([[*r, "x"] for r in log_rows(5)], header=[*HEADER_ZH, "備註"])
        + "合計 5 筆\n".encode()
    )
    assert main(["audit", "sample", str(path), "--seed", "1"]) == 0
    printed = capsys.readouterr().out
    assert "unrecognised columns: 備註" in printed and "totals row on line 7 skipped" in printed


def test_a_mismatched_totals_row_exits_2_with_one_line(capsys, write):
    path = write(csv_bytes(log_rows(5)) + "合計 6 筆\n".encode())
    assert main(["audit", "sample", str(path), "--seed", "1", "--json"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "筆數不符" in err
