"""Query-log exports built on the fly (csv module, openpyxl): no committed binaries."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

HEADER_ZH = ["查詢時間", "使用者帳號", "查詢項目", "查詢對象證號", "查詢事由", "來源IP"]
HEADER_EN = ["queried_at", "account", "query_type", "subject_id", "purpose", "ip"]
QUERY_TYPES = ["入出境資料查詢", "居留資料查詢", "外來人口查詢"]


def csv_bytes(rows, header=HEADER_ZH, encoding="utf-8", newline="\n") -> bytes:
    """A CSV export of ``rows`` (lists of cells) under ``header``."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode(encoding)


def xlsx_bytes(rows, header=HEADER_ZH, title_rows=()) -> bytes:
    """An XLSX export; ``title_rows`` go above the header (as report titles do)."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for title in title_rows:
        sheet.append(title)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def log_rows(count: int, start=datetime(2025, 3, 3, 9, 0), step=timedelta(minutes=7), accounts=5):
    """``count`` plausible rows, ISO times, Chinese query types, valid-looking ids."""
    return [
        [
            (start + i * step).strftime("%Y-%m-%d %H:%M:%S"),
            f"user{i % accounts:02d}",
            QUERY_TYPES[i % len(QUERY_TYPES)],
            f"A{100000000 + i * 7919 % 200000000:09d}",
            "個案訪視" if i % 4 else "",
            f"10.0.0.{i % 250}",
        ]
        for i in range(count)
    ]
