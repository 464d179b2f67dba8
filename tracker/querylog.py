"""Reading an NIA query-log export (查詢紀錄, point 7.2) into a checked table.

``read_export`` takes the raw bytes of a CSV or XLSX export and returns a
:class:`QueryLog`, or raises :class:`~tracker.errors.InvalidInput` for the whole
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
export of population 0; a 0-byte file is refused.

pyarrow rather than pandas: its CSV reader parses in parallel straight into
Arrow string columns (no Python objects), compute kernels and numpy views do
the checks column-wise, and the same table goes to Parquet in
:mod:`tracker.logstore` without conversion.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import mmap
import os
import re
import unicodedata
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from tracker.errors import InvalidInput
from tracker.idnumbers import mask_id

REQUIRED = ("queried_at", "account", "query_type", "subject_id")
OPTIONAL = ("purpose", "ip")
# Header names per field, the zh-TW label first, matched after NFKC, casefold and
# dropping spaces, "_" and "-" ("Query Time" = "query_time").  Extend a tuple to accept more.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "queried_at": (
        "查詢時間",
        "查詢日期時間",
        "時間",
        "日期時間",
        "query_time",
        "timestamp",
        "datetime",
    ),
    "account": ("使用者帳號", "帳號", "使用者", "查詢者帳號", "user", "user_id", "username"),
    "query_type": ("查詢項目", "查詢類別", "查詢功能", "查詢種類", "query_item"),
    "subject_id": ("查詢對象證號", "查詢證號", "被查詢人證號", "身分證號", "證號", "subject"),
    "purpose": ("查詢事由", "事由", "查詢目的", "reason"),
    "ip": ("來源IP", "IP", "IP位址", "來源IP位址", "source_ip", "client_ip"),
}
LABELS = {name: aliases[0] for name, aliases in COLUMN_ALIASES.items()}  # zh-TW, for messages
SCHEMA = pa.schema(
    [
        ("queried_at", pa.timestamp("s")),
        ("account", pa.string()),
        ("query_type", pa.string()),
        ("subject_id", pa.string()),
        ("purpose", pa.string()),
        ("ip", pa.string()),
        ("line", pa.int64()),
    ]
)
MAX_LISTED = 20
_HEAD_BYTES = 1 << 16


@dataclass(frozen=True)
class QueryLog:
    """A validated export.  ``table`` follows ``SCHEMA`` (plus, for rows read
    back from the store, ``source_sha256``).

    ``sha256``: hex digest of the raw file bytes, ``None`` for rows gathered from
    several stored imports.  ``format``: ``csv``, ``xlsx`` or ``store``.
    ``columns``: each field found -> the header it was read from.
    """

    table: pa.Table
    sha256: str | None
    format: str
    encoding: str | None = None
    filename: str | None = None
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def population(self) -> int:
        return self.table.num_rows

    def has_column(self, name: str) -> bool:
        """True when the export had the optional column ``name`` (``purpose``, ``ip``)."""
        return name in self.columns


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
    with ThreadPoolExecutor(2) as pool:  # hashing and date parsing overlap the rest (GIL released)
        digest = pool.submit(lambda: hashlib.sha256(buf).hexdigest())
        if kind == "xlsx":
            headers, cells, lines, encoding = _read_xlsx(buf)
        else:
            headers, cells, lines, encoding = _read_csv(buf, _contains_quote(data, buf))
        table, columns = _build(headers, cells, lines, pool)
        return QueryLog(table, digest.result(), kind, encoding, filename, columns)


def parse_day(text: str) -> date:
    """A calendar day written ``2025-03-02``, ``2025/3/2`` or ROC ``114/03/02`` (also ``114年3月2日``)."""
    m = re.fullmatch(
        r"\s*(\d{2,4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*", text or ""
    )
    try:
        year = int(m[1]) + (1911 if len(m[1]) <= 3 else 0)
        return date(year, int(m[2]), int(m[3]))
    except (TypeError, ValueError):
        raise InvalidInput(
            f"日期「{text}」無法辨識，請用 2025-03-02 或民國 114/03/02",
            f"unreadable date {text!r}: use 2025-03-02 or ROC 114/03/02",
        ) from None


# --- format and encoding ---------------------------------------------------


def _sniff(buf: pa.Buffer) -> str:
    head = _head(buf, 8192)
    if head.startswith(b"PK\x03\x04"):
        if _is_xlsx(buf):
            return "xlsx"
        raise _not_a_log("ZIP 壓縮檔但不是 XLSX", "a ZIP archive that is not an XLSX workbook")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise _not_a_log(
            "舊版 Excel（.xls），請另存為 .xlsx 或 CSV", "old Excel .xls; save as .xlsx or CSV"
        )
    if head.startswith(b"%PDF"):
        raise _not_a_log("PDF 檔", "a PDF document")
    if b"\x00" in head:
        raise _not_a_log("二進位檔", "binary data")
    return "csv"


def _head(buf: pa.Buffer, size: int) -> bytes:
    return buf.slice(0, min(size, buf.size)).to_pybytes()


def _is_xlsx(buf: pa.Buffer) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(buf.to_pybytes())) as archive:
            return any(name.startswith("xl/") for name in archive.namelist())
    except zipfile.BadZipFile:
        return False


def _not_a_log(what_zh: str, what_en: str) -> InvalidInput:
    return InvalidInput(
        f"不是查詢紀錄檔（{what_zh}）：請上傳 CSV 或 XLSX",
        f"not a query-log export ({what_en}): upload CSV or XLSX",
    )


def _encoding_error(buf: pa.Buffer) -> InvalidInput:
    """Name the line of the bad bytes: the later failure of UTF-8 and cp950 is
    the likelier real one, since the right encoding reads further."""
    data = buf.to_pybytes()
    stops = []
    for encoding in ("utf-8", "cp950"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError as exc:
            stops.append(exc.start)
    line = data.count(b"\n", 0, max(stops, default=0)) + 1
    return InvalidInput(
        f"第 {line} 行有無法辨識的字元：CSV 須為 UTF-8 或 Big5 編碼",
        f"line {line}: undecodable bytes; a CSV must be UTF-8 or Big5 (cp950)",
    )


# --- CSV -------------------------------------------------------------------


def _read_csv(buf: pa.Buffer, quoted: bool):
    """Fast path: pyarrow, all columns as strings, line = index + 2.  A quoted
    value spanning lines (newline count disagrees) or a ragged row falls back
    to the exact, slower :func:`_read_csv_exact`."""
    for encoding in _encodings(buf):
        headers = _csv_header(buf, encoding)
        _map_headers(headers)  # a wrong header is the first thing to report
        names = [f"c{i}" for i in range(len(headers))]
        try:
            table = pacsv.read_csv(
                buf,
                read_options=pacsv.ReadOptions(
                    column_names=names, skip_rows=1, encoding=encoding, block_size=1 << 22
                ),
                parse_options=pacsv.ParseOptions(
                    newlines_in_values=quoted, ignore_empty_lines=False
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    strings_can_be_null=True,  # an empty cell is null; "NA" stays text
                    null_values=[""],
                ),
            )
        except UnicodeDecodeError:
            raise _encoding_error(buf) from None
        except pa.ArrowInvalid as exc:
            if "UTF8" in str(exc):
                continue
            return _read_csv_exact(buf, "cp950" if _not_utf8(buf) else encoding)
        if quoted and _physical_lines(buf) != table.num_rows + 1:
            return _read_csv_exact(buf, encoding)
        return headers, table.columns, np.arange(2, table.num_rows + 2), encoding
    raise _encoding_error(buf)


def _encodings(buf: pa.Buffer) -> tuple[str, ...]:
    """Encodings to try, judged on the first lines: UTF-8 (strict) first, else cp950."""
    head = _head(buf, _HEAD_BYTES)
    if buf.size > _HEAD_BYTES:
        head = head[: head.rfind(b"\n") + 1]
    for index, encoding in enumerate(("utf-8", "cp950")):
        try:
            head.decode(encoding)
            return ("utf-8", "cp950")[index:]
        except UnicodeDecodeError:
            pass
    raise _encoding_error(buf)


def _csv_header(buf: pa.Buffer, encoding: str) -> list[str]:
    head = _head(buf, _HEAD_BYTES)
    cut = head.find(b"\n")
    if cut < 0 and buf.size > _HEAD_BYTES:
        raise _not_a_log("第 1 行過長", "line 1 is too long for a header")
    try:
        text = (head if cut < 0 else head[:cut]).decode(encoding).lstrip("\ufeff")
    except UnicodeDecodeError:
        raise _encoding_error(buf) from None
    return next(csv.reader([text.rstrip("\r")]), [])


def _contains_quote(data, buf: pa.Buffer) -> bool:
    """Whether any ``"`` occurs: without one no value can span lines."""
    find = getattr(data, "find", None)  # bytes and mmap search at memchr speed
    if find is not None:
        return find(b'"') >= 0
    return _count(buf, ord('"')) > 0


def _count(buf: pa.Buffer, byte: int) -> int:
    """Occurrences of ``byte`` in ``buf``, scanned in slices to bound memory."""
    view, step = np.frombuffer(buf, dtype=np.uint8), 1 << 24
    return sum(int(np.count_nonzero(view[i : i + step] == byte)) for i in range(0, view.size, step))


def _physical_lines(buf: pa.Buffer) -> int:
    ends_with_newline = buf.slice(buf.size - 1).to_pybytes() == b"\n"
    return _count(buf, ord("\n")) + (0 if ends_with_newline else 1)


def _not_utf8(buf: pa.Buffer) -> bool:
    try:
        buf.to_pybytes().decode("utf-8")
        return False
    except UnicodeDecodeError:
        return True


def _read_csv_exact(buf: pa.Buffer, encoding: str):
    """Python's csv module with the physical line where each record starts."""
    try:
        text = buf.to_pybytes().decode(encoding).lstrip("\ufeff")
    except UnicodeDecodeError:
        raise _encoding_error(buf) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    headers = next(reader, [])
    rows, lines, ragged, start = [], [], [], reader.line_num + 1
    for row in reader:
        if row and len(row) != len(headers):
            ragged.append(start)
        rows.append(row or [""] * len(headers))
        lines.append(start)
        start = reader.line_num + 1
    if ragged:
        raise _refusal(
            [
                (
                    f"{_zh_lines(ragged)}欄位數與標題列（{len(headers)} 欄）不符",
                    f"{_en_lines(ragged)}: field count differs from the header's {len(headers)}",
                )
            ]
        )
    cells = [_strings(column) for column in zip(*rows, strict=True)] or [
        pa.array([], pa.string()) for _ in headers
    ]
    return headers, cells, np.array(lines, dtype=np.int64), encoding


def _strings(values) -> pa.Array:
    """Python strings to an Arrow column, an empty cell as null (as the fast path has it)."""
    return pa.array([value or None for value in values], pa.string())


# --- XLSX ------------------------------------------------------------------


def _read_xlsx(buf: pa.Buffer):
    """First sheet whose header (within its first 20 rows) has the required
    columns, else the first sheet's first non-empty row (so the message names
    what is missing).  Date cells and serial numbers become ISO text here."""
    import openpyxl  # slow to import; only XLSX needs it

    try:
        book = openpyxl.load_workbook(io.BytesIO(buf.to_pybytes()), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise _not_a_log("XLSX 檔案損毀", f"damaged XLSX: {type(exc).__name__}") from None
    try:
        found = [(sheet, *_xlsx_header(sheet)) for sheet in book.worksheets]
        usable = [f for f in found if set(REQUIRED) <= set(_field_index(f[2]))]
        if not found:
            raise _not_a_log("XLSX 沒有工作表", "an XLSX without worksheets")
        sheet, row_number, headers = (usable or found)[0]
        return (headers, *_xlsx_cells(sheet, row_number, headers, book.epoch), None)
    finally:
        book.close()


def _xlsx_header(sheet) -> tuple[int, list[str]]:
    """(row number, names) of the header: 0 and [] for an empty sheet."""
    first = (0, [])
    for number, values in enumerate(sheet.iter_rows(min_row=1, max_row=20, values_only=True), 1):
        names = ["" if v is None else str(v).strip() for v in values]
        if any(names) and not first[0]:
            first = (number, names)
        if set(REQUIRED) <= set(_field_index(names)):
            return number, names
    return first


def _xlsx_cells(sheet, header_row: int, headers: list[str], epoch):
    from openpyxl.utils.datetime import from_excel

    time_column = _field_index(headers).get("queried_at", -1)
    columns: list[list[str]] = [[] for _ in headers]
    lines = []
    rows = sheet.iter_rows(min_row=header_row + 1, values_only=True) if header_row else ()
    for number, values in enumerate(rows, header_row + 1):
        values = (tuple(values) + (None,) * len(headers))[: len(headers)]
        for index, value in enumerate(values):
            if index == time_column and type(value) in (int, float):  # a serial day number
                value = _serial(value, epoch, from_excel)
            columns[index].append(_cell_text(value))
        lines.append(number)
    return [_strings(c) for c in columns], np.array(lines, dtype=np.int64)


def _serial(value: float, epoch, from_excel):
    """An Excel serial number as a datetime, or the number when it is none."""
    try:
        return from_excel(value, epoch)
    except (ValueError, OverflowError):
        return value


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):  # to the nearest second: Excel stores fractions of a day
        return (value + timedelta(microseconds=500_000)).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- headers, checks and the table -----------------------------------------


def _normalise(name: str) -> str:
    return re.sub(r"[\s_\-\ufeff]", "", unicodedata.normalize("NFKC", name).casefold())


_ALIAS_INDEX = {_normalise(a): f for f, names in COLUMN_ALIASES.items() for a in (f, *names)}


def _field_index(headers: list[str]) -> dict[str, int]:
    """Field -> column index for recognised headers (first one wins; see _map_headers)."""
    index: dict[str, int] = {}
    for position, name in enumerate(headers):
        found = _ALIAS_INDEX.get(_normalise(name))
        if found:
            index.setdefault(found, position)
    return index


def _map_headers(headers: list[str]) -> dict[str, int]:
    """Field -> column index; raises for duplicate or ambiguous headers and missing fields."""
    seen: dict[str, list[int]] = {}
    for position, name in enumerate(headers):
        if _normalise(name):
            seen.setdefault(_normalise(name), []).append(position)
    fields: dict[str, list[int]] = {}
    for key, positions in seen.items():
        if key in _ALIAS_INDEX:
            fields.setdefault(_ALIAS_INDEX[key], []).extend(positions)
    problems = [_duplicate(headers, p) for p in seen.values() if len(p) > 1]
    problems += [_ambiguous(headers, f, p) for f, p in fields.items() if len(p) > 1]
    missing = [f for f in REQUIRED if f not in fields]
    if missing:
        problems.append(_missing(missing, headers))
    if problems:
        raise _refusal(list(dict.fromkeys(problems)))
    return {name: positions[0] for name, positions in fields.items()}


def _duplicate(headers: list[str], positions: list[int]) -> tuple[str, str]:
    name, columns = headers[positions[0]], [str(p + 1) for p in positions]
    return (
        f"標題「{name}」重複（第 {'、'.join(columns)} 欄）",
        f"duplicate header {name!r} (columns {', '.join(columns)})",
    )


def _ambiguous(headers: list[str], field: str, positions: list[int]) -> tuple[str, str]:
    if len({_normalise(headers[p]) for p in positions}) == 1:
        return _duplicate(headers, positions)  # the same name twice, already reported
    names = [headers[p] for p in positions]
    return (
        f"欄位「{'」「'.join(names)}」都代表{LABELS[field]}，只能留一欄",
        f"columns {', '.join(map(repr, names))} all mean {field}; keep one",
    )


def _missing(missing: list[str], headers: list[str]) -> tuple[str, str]:
    found = "、".join(h for h in headers if h)[:200] or "（無）"
    hint = (
        ("（分隔符號須為逗號）", " (the separator must be a comma)")
        if len(headers) == 1
        else ("", "")
    )
    return (
        f"缺少必要欄位：{'、'.join(LABELS[f] for f in missing)}；檔案的欄位為：{found}{hint[0]}",
        f"missing required columns: {', '.join(missing)}; the file has: {found}{hint[1]}",
    )


def _build(headers, cells, lines, pool) -> tuple[pa.Table, dict[str, str]]:
    """Map, check and assemble; the dates are parsed on ``pool`` meanwhile."""
    index = _map_headers(headers)
    columns = {name: _chunked(cells[position]) for name, position in index.items()}
    times = pool.submit(parse_times, columns["queried_at"].combine_chunks())
    blank = {name: _blank(values) for name, values in columns.items()}
    seconds, readable = times.result()
    keep = ~np.logical_and.reduce(list(blank.values()))
    if not keep.all():  # blank lines and ",,,," rows are not records
        columns = {name: values.filter(pa.array(keep)) for name, values in columns.items()}
        blank = {name: mask[keep] for name, mask in blank.items()}
        lines, seconds, readable = lines[keep], seconds[keep], readable[keep]
    _check(columns, blank, readable, lines)
    table = pa.table(
        [pa.array(seconds, pa.timestamp("s"))]
        + [columns[name] for name in REQUIRED[1:]]
        + [_nullable(columns.get(name), blank.get(name), len(lines)) for name in OPTIONAL]
        + [pa.array(lines, pa.int64())],
        schema=SCHEMA,
    )
    return table, {name: headers[position] for name, position in index.items()}


def _chunked(values) -> pa.ChunkedArray:
    return (
        values if isinstance(values, pa.ChunkedArray) else pa.chunked_array([values], pa.string())
    )


def _blank(values: pa.ChunkedArray) -> np.ndarray:
    """Empty (null) or whitespace-only cells.

    ``utf8_is_space`` runs only on chunks where some value starts with a byte
    that can begin a space (ASCII blanks, the lead bytes of NBSP and of the
    U+2000/U+3000 spaces): a cheap first-byte lookup rules out the rest.
    """
    masks = []
    for chunk in values.chunks:
        offsets = np.frombuffer(chunk.buffers()[1], np.int32)[chunk.offset :][: len(chunk)]
        data = np.frombuffer(chunk.buffers()[2] or b"", dtype=np.uint8)
        spaced = data.size and _SPACE_LEAD.take(data.take(offsets, mode="clip")).any()
        blank = pc.utf8_is_space(chunk).fill_null(True) if spaced else chunk.is_null()
        masks.append(np.asarray(blank.to_numpy(zero_copy_only=False), dtype=bool))
    return np.concatenate(masks) if masks else np.zeros(0, dtype=bool)


_SPACE_LEAD = np.zeros(256, dtype=bool)
_SPACE_LEAD[[0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xC2, 0xE1, 0xE2, 0xE3]] = True


def _nullable(values, blank, n: int):
    """``values`` with every blank cell null.  Empty cells already are (the
    parser makes them null), so only whitespace-only cells cost a copy."""
    if values is None:
        return pa.nulls(n, pa.string())
    chunks, start = [], 0
    for chunk in values.chunks:
        mask, start = blank[start : start + len(chunk)], start + len(chunk)
        if np.count_nonzero(mask) > chunk.null_count:
            chunk = pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), chunk)
        chunks.append(chunk)
    return pa.chunked_array(chunks, pa.string())


def _check(columns: dict, blank: dict, readable: np.ndarray, lines: np.ndarray) -> None:
    problems = []
    unreadable = ~readable & ~blank["queried_at"]
    if unreadable.any():
        example = columns["queried_at"][int(np.flatnonzero(unreadable)[0])].as_py()
        example = re.sub(r"[A-Za-z][A-Za-z0-9]\d{8}", lambda m: mask_id(m[0]), example)[:40]
        problems.append(
            (
                f"{_zh_lines(lines[unreadable])}查詢時間無法辨識（例：「{example}」）",
                f"{_en_lines(lines[unreadable])}: unreadable queried_at (e.g. {example!r})",
            )
        )
    for name in REQUIRED:
        if blank[name].any():
            problems.append(
                (
                    f"{_zh_lines(lines[blank[name]])}{LABELS[name]}空白",
                    f"{_en_lines(lines[blank[name]])}: empty {name}",
                )
            )
    if problems:
        raise _refusal(problems)


def _refusal(problems: list[tuple[str, str]]) -> InvalidInput:
    return InvalidInput(
        "查詢紀錄檔未受理：" + "；".join(zh for zh, _ in problems),
        "query log refused: " + "; ".join(en for _, en in problems),
    )


def _zh_lines(lines) -> str:
    shown = "、".join(str(n) for n in list(lines)[:MAX_LISTED])
    more = len(lines) - MAX_LISTED
    return f"第 {shown} 行" + (f"及另外 {more} 行" if more > 0 else "")


def _en_lines(lines) -> str:
    shown = ", ".join(str(n) for n in list(lines)[:MAX_LISTED])
    more = len(lines) - MAX_LISTED
    return (
        ("line " if len(lines) == 1 else "lines ")
        + shown
        + (f" and {more} more" if more > 0 else "")
    )


# --- dates -----------------------------------------------------------------
# One pattern for ISO, slashes, ROC (2-3 digit year), 年月日時分秒 and 上午/下午.
# Written for both Python re and RE2 (pyarrow), hence [0-9] and no verbose mode.
_SP = "[ \t\u3000]*"
_DATE_PATTERN = (
    f"^{_SP}(?P<y>[0-9]{{2,4}}){_SP}(?:[-/.]|年){_SP}(?P<mo>[0-9]{{1,2}}){_SP}(?:[-/.]|月)"
    f"{_SP}(?P<d>[0-9]{{1,2}}){_SP}日?(?:T|{_SP})(?P<ap>上午|下午|AM|PM|am|pm)?{_SP}"
    f"(?P<h>[0-9]{{1,2}}){_SP}(?:[:：]|時){_SP}(?P<mi>[0-9]{{1,2}}){_SP}"
    f"(?:(?:[:：]|分){_SP}(?P<s>[0-9]{{1,2}})(?:[.][0-9]+)?{_SP}秒?|分)?"
    f"{_SP}(?P<ap2>AM|PM|am|pm)?{_SP}$"
)
_DATE_RE = re.compile(_DATE_PATTERN)
_SERIAL_PATTERN = f"^{_SP}(?P<serial>[0-9]{{5}}(?:[.][0-9]+)?){_SP}$"
_PARTS = ("y", "mo", "d", "h", "mi", "s")
_EXCEL_UNIX_EPOCH = 25569  # serial of 1970-01-01 in Excel's 1900 date system


def parse_times(values: pa.StringArray) -> tuple[np.ndarray, np.ndarray]:
    """Seconds since 1970-01-01 (naive local time) and a readable mask, column-wise.

    Rows shaped byte for byte like the first row (machine exports) are read by
    byte position with numpy; the rest through the RE2 pattern, then as Excel
    serial numbers (1900 system).  A year of 2 or 3 digits is ROC (+1911).
    """
    seconds, readable, rest = _fixed_width(values)
    if rest.size:
        seconds[rest], readable[rest] = _by_pattern(values.take(pa.array(rest)))
    return seconds, readable


def _fixed_width(values: pa.StringArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seconds and readable mask for the rows with the first row's byte shape,
    and the indices of the other rows (left for the pattern)."""
    n = len(values)
    first = _DATE_RE.match(values[0].as_py() or "") if n else None
    if not first or first["ap"] or first["ap2"]:
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool), np.arange(n)
    offsets = np.frombuffer(values.buffers()[1], np.int32)[values.offset :][: n + 1]
    fits = np.diff(offsets) == len(first.string.encode())
    rows = values if fits.all() else values.filter(pa.array(fits))
    parts, same = _grid_parts(rows, first)
    secs, ok = _compose(parts, len(first["y"]) <= 3)
    if len(rows) == n and same.all():
        return secs, ok, np.zeros(0, dtype=np.int64)
    seconds, readable, done = np.zeros(n, np.int64), np.zeros(n, bool), np.zeros(n, bool)
    where = np.flatnonzero(fits)[same]
    seconds[where], readable[where], done[where] = secs[same], ok[same], True
    return seconds, readable, np.flatnonzero(~done)


def _grid_parts(rows: pa.StringArray, first: re.Match) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Date parts of equal-length ``rows`` read by byte position, and which rows
    have exactly the first row's shape (digits where it has digits, same bytes elsewhere)."""
    template = np.frombuffer(first.string.encode(), dtype=np.uint8)
    start = np.frombuffer(rows.buffers()[1], np.int32)[rows.offset]
    grid = np.frombuffer(rows.buffers()[2], np.uint8)[start : start + len(rows) * template.size]
    grid = np.ascontiguousarray(grid.reshape(len(rows), template.size).T)  # one row per byte
    same = np.ones(len(rows), dtype=bool)
    for position, byte in enumerate(template):  # row by row: no grid-sized temporaries
        same &= (grid[position] - np.uint8(48) <= 9) if 48 <= byte <= 57 else grid[position] == byte
    return {name: _digits(grid, first, name) for name in _PARTS}, same


def _digits(grid: np.ndarray, match: re.Match, name: str) -> np.ndarray:
    """The number in group ``name`` of every row of the transposed byte grid."""
    value = np.zeros(grid.shape[1], dtype=np.int32)
    if match[name] is not None:
        a, b = (len(match.string[:i].encode()) for i in match.span(name))
        for position in range(a, b):
            value *= 10
            value += grid[position]
            value -= 48
    return value


def _by_pattern(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    found = pc.extract_regex(values, _DATE_PATTERN)
    matched = np.asarray(found.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    parts = {name: _ints(pc.struct_field(found, name)) for name in _PARTS}
    years = pc.struct_field(found, "y").fill_null("0000")
    roc = np.asarray(pc.utf8_length(years).to_numpy(zero_copy_only=False)) <= 3
    ampm = pc.binary_join_element_wise(
        pc.struct_field(found, "ap").fill_null(""), pc.struct_field(found, "ap2").fill_null(""), ""
    )
    pm = np.asarray(pc.is_in(ampm, pa.array(["下午", "PM", "pm"])).to_numpy(zero_copy_only=False))
    am = np.asarray(pc.is_in(ampm, pa.array(["上午", "AM", "am"])).to_numpy(zero_copy_only=False))
    hours = parts["h"]
    parts["h"] = np.where(pm & (hours < 12), hours + 12, np.where(am & (hours == 12), 0, hours))
    seconds, ok = _compose(parts, roc=roc)
    ok &= matched & ~((pm | am) & (hours > 12))
    serial = pc.cast(
        pc.struct_field(pc.extract_regex(values, _SERIAL_PATTERN), "serial"), pa.float64()
    )
    serial = np.asarray(serial.to_numpy(zero_copy_only=False), dtype=float)
    is_serial = ~matched & ~np.isnan(serial)
    seconds[is_serial] = np.rint((serial[is_serial] - _EXCEL_UNIX_EPOCH) * 86400).astype(np.int64)
    return seconds, ok | is_serial


def _ints(values: pa.Array) -> np.ndarray:
    filled = pc.if_else(pc.equal(values.fill_null(""), ""), "0", values.fill_null("0"))
    return np.asarray(pc.cast(filled, pa.int64()).to_numpy(zero_copy_only=False))


def _compose(parts: dict[str, np.ndarray], roc) -> tuple[np.ndarray, np.ndarray]:
    """Seconds since the epoch from calendar parts, and which parts make a real time."""
    month_start, month_length = _calendar()
    year = np.clip(parts["y"] + np.where(roc, 1911, 0), 0, 9999).astype(np.int32)
    year_month = year * 100 + np.clip(parts["mo"], 0, 99).astype(np.int32)
    day, hour, minute, second = parts["d"], parts["h"], parts["mi"], parts["s"]
    ok = (day >= 1) & (day <= month_length[year_month])
    ok &= (hour < 24) & (minute < 60) & (second < 60)
    seconds = month_start[year_month].astype(np.int64)
    seconds += day - 1
    seconds *= 86400
    seconds += hour * 3600 + minute * 60 + second
    seconds[~ok] = 0
    return seconds, ok


@functools.cache
def _calendar() -> tuple[np.ndarray, np.ndarray]:
    """Tables indexed by ``year * 100 + month``: days from 1970-01-01 to the first
    of the month, and the month's length (0 where year < 1912 or month not 1-12)."""
    year = np.arange(10000, dtype=np.int64)[:, None]
    month = np.arange(100, dtype=np.int64)[None, :]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    lengths = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] + [0] * 87)
    length = lengths[month] + ((month == 2) & leap)
    before = np.concatenate([[0], np.cumsum(lengths)])[:100][month] + ((month > 2) & leap)
    prior = year - 1
    year_start = (year - 1970) * 365 + prior // 4 - prior // 100 + prior // 400 - 477
    length = np.where(year >= 1912, length, 0)
    return (year_start + before).ravel().astype(np.int32), length.ravel().astype(np.int32)
