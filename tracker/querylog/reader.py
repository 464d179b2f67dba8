"""Reading an NIA query-log export (查詢紀錄, point 7.2) into a checked table.

``read_export`` takes the raw bytes of a CSV or XLSX export and returns a
:class:`QueryLog`, or raises :class:`~tracker.core.errors.InvalidInput` for the whole
file.  Nothing is stored here, so a refused file leaves no trace.

``QueryLog.table`` is a ``pyarrow.Table`` with ``SCHEMA``: ``queried_at`` is
naive local time (Asia/Taipei, as the export writes it, to the second);
``account``, ``query_type`` and ``subject_id`` are never blank (empty or only
whitespace) and are kept as exported, not stripped (display code strips);
``purpose`` and ``ip`` are ``None`` when blank or absent; ``line`` is where the
record starts: the 1-based physical line of a CSV (header = line 1, so the
first record is line 2; a quoted value spanning lines moves later records down)
or the row number in an XLSX sheet.  Rows whose recognised cells are all blank
(blank lines, trailing ``,,,,``) are skipped.  A header with no rows is a valid
export of population 0; a 0-byte file is refused.  A final totals row
(``合計 N 筆``) is skipped, and reported in ``QueryLog.totals_row``, when N is
the number of records; otherwise the file is refused.  Columns that no field
is read from are listed in ``QueryLog.unrecognised_columns``.

This module is the front door; the work is split by concept:
:mod:`tracker.querylog.schema` (the type, fields and header aliases),
:mod:`tracker.querylog.csvreader` and :mod:`tracker.querylog.xlsxreader` (the two formats),
:mod:`tracker.querylog.headers` (which column is which field),
:mod:`tracker.querylog.checks` (cell checks, the totals row, the table) and
:mod:`tracker.querylog.dates` (times and days).

pyarrow rather than pandas: its CSV reader parses straight into Arrow string
columns (no Python objects) with the GIL released, so slices of one file are
parsed and checked on several threads while a further thread computes the
SHA-256; compute kernels and numpy views do the checks column-wise, and the
same table goes to Parquet in :mod:`tracker.querylog.store` without conversion.
"""

from __future__ import annotations

import hashlib
import io
import mmap
import os
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from tracker.core.errors import InvalidInput
from tracker.core.idnumbers import mask_ids_in_text
from tracker.querylog.checks import assemble, not_a_log
from tracker.querylog.csvreader import read_csv
from tracker.querylog.headers import unrecognised_columns
from tracker.querylog.schema import QueryLog
from tracker.querylog.xlsxreader import read_xlsx

_WORKERS = max(1, min(8, os.cpu_count() or 1))


def open_export(path: Path) -> QueryLog:
    """Read the export at ``path``, memory-mapped so that a large file is not copied.

    Raises InvalidInput for a missing or unreadable file, as read_export does for bad content.
    """
    path = Path(path)
    try:
        with open(path, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            data = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
    except OSError as exc:
        raise InvalidInput(
            f"無法讀取檔案 {path}（{exc.strerror}）", f"cannot read file {path}: {exc.strerror}"
        ) from None
    return read_export(data, filename=path.name)


def read_export(data: bytes, filename: str | None = None) -> QueryLog:
    """Read and check a whole export; ``data`` may be any bytes-like object.

    The format is sniffed from the bytes, never from ``filename`` (kept as a label).
    Raises InvalidInput naming the missing columns or the bad lines.
    """
    buf = pa.py_buffer(data)
    if buf.size == 0:
        raise InvalidInput("檔案是空的（0 位元組）", "the file is empty (0 bytes)")
    kind = _sniff(buf)
    # The SHA-256 has a thread of its own: hashlib releases the GIL, and the
    # digest must not wait behind the slices queued on the pool.
    with ThreadPoolExecutor(1) as hasher, ThreadPoolExecutor(_WORKERS) as pool:
        digest = hasher.submit(lambda: hashlib.sha256(buf).hexdigest())
        if kind == "xlsx":
            headers, index, pieces, lines, totals = read_xlsx(buf)
            encoding = None
        else:
            headers, index, pieces, lines, encoding, totals = read_csv(data, buf, pool, _WORKERS)
        table, columns = assemble(headers, index, pieces, lines, totals)
        return QueryLog(
            mask_free_text(table),
            digest.result(),
            kind,
            encoding,
            filename,
            columns,
            unrecognised_columns=unrecognised_columns(headers, index),
            totals_row=totals,
        )


# Columns of free text where a national ID may be typed (a 查詢事由 quoting the
# person asked about); subject_id is the ID itself, masked wherever it is shown.
FREE_TEXT = ("purpose", "account", "query_type", "ip")
# RE2 (pyarrow) has no look-behind: this finds the rows that may hold an ID, and
# tracker.core.idnumbers masks those rows exactly.
_MAYBE_ID = r"[A-Za-z\x{ff21}-\x{ff3a}\x{ff41}-\x{ff5a}][A-Za-z0-9\x{ff10}-\x{ff19}\x{ff21}-\x{ff3a}\x{ff41}-\x{ff5a}][0-9\x{ff10}-\x{ff19}]{8}"


def mask_free_text(table: pa.Table) -> pa.Table:
    """``table`` with every ID-shaped number in its free-text columns masked (see FREE_TEXT).

    Rows without one (nearly all) are not touched: a vectorised search picks
    the few that are masked in Python.
    """
    for name in FREE_TEXT:
        position = table.schema.get_field_index(name)
        values = table.column(position)
        hits = pc.match_substring_regex(values, _MAYBE_ID).fill_null(False)
        if not pc.any(hits).as_py():
            continue
        masked = [
            mask_ids_in_text(v) if hit else v
            for v, hit in zip(values.to_pylist(), hits.to_pylist(), strict=True)
        ]
        table = table.set_column(position, table.field(position), pa.array(masked, pa.string()))
    return table


def _sniff(buf: pa.Buffer) -> str:
    head = buf.slice(0, min(8192, buf.size)).to_pybytes()
    if head.startswith(b"PK\x03\x04"):
        if _is_xlsx(buf):
            return "xlsx"
        raise not_a_log("ZIP 壓縮檔但不是 XLSX", "a ZIP archive that is not an XLSX workbook")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise not_a_log(
            "舊版 Excel（.xls），請另存為 .xlsx 或 CSV", "old Excel .xls; save as .xlsx or CSV"
        )
    if head.startswith(b"%PDF"):
        raise not_a_log("PDF 檔", "a PDF document")
    if b"\x00" in head:
        raise not_a_log("二進位檔", "binary data")
    return "csv"


def _is_xlsx(buf: pa.Buffer) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(buf.to_pybytes())) as archive:
            return any(name.startswith("xl/") for name in archive.namelist())
    except zipfile.BadZipFile:
        return False
