"""Reading a CSV query-log export (查詢紀錄, point 7.2) into examined pieces.

UTF-8 (with or without BOM) or Big5 (cp950), judged on the first lines and
confirmed by the parse; a cp950 file with characters only Big5-HKSCS has
(names written with HKSCS characters) is read with those characters taken
from Big5-HKSCS (:mod:`tracker.querylog.encodings`), and bytes that neither
decodes are refused naming their line.  ``line`` is the 1-based physical line where a
record starts: header = line 1, so the first record is line 2, and a quoted
value spanning lines moves later records down.  A last line that is a
totals row (合計 N 筆) is left out of the records and returned for
:func:`tracker.querylog.checks.assemble` to compare with the record count.

Three ways in, fastest first:

* no ``"`` after the header (the usual machine export): no value can span
  lines, so the body is cut at line ends into slices (large first, small
  last) that pyarrow parses and :func:`tracker.querylog.checks.examine` checks on
  the pool's threads at once (pyarrow releases the GIL);
* quotes: one pyarrow parse that allows newlines in values, kept when the
  record count equals the physical line count, its batches examined on the pool;
* otherwise (a value spanning lines, a ragged row, an odd encoding failure):
  Python's csv module, which knows where each record starts.
"""

from __future__ import annotations

import csv
import io
from concurrent.futures import Executor, Future, wait
from itertools import pairwise

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from tracker.querylog.checks import (
    Piece,
    en_lines,
    examine,
    not_a_log,
    refusal,
    text_column,
    totals_count,
    zh_lines,
)
from tracker.querylog.encodings import decode_text, encoding_error, encodings_to_try, not_utf8
from tracker.querylog.headers import map_headers
from tracker.querylog.schema import TotalsRow

SLICE_BYTES = 1 << 20  # the smallest slice; see _cuts
_HEAD_BYTES = 1 << 16
_WINDOW = 1 << 16
_TAIL_BYTES = 4096  # a totals row is short; a longer last line is a record


def read_csv(data, buf: pa.Buffer, pool: Executor, workers: int = 1):
    """``(headers, field index, pieces, lines, encoding, totals row)`` of the CSV in ``buf``.

    ``data`` is the object ``buf`` wraps (its ``find``, when it has one, scans
    for quotes at memchr speed); ``workers``: the threads of ``pool``.  Raises
    InvalidInput for undecodable bytes, a bad header, or rows with the wrong
    number of fields.
    """
    tried = encodings_to_try(buf)
    for encoding in tried:
        headers, body = _header(buf, encoding)
        index = map_headers(headers)  # a wrong header is the first thing to report
        end, totals = _totals_row(buf, body, encoding)
        records = buf.slice(0, end)  # the file without its totals row
        try:
            pieces = _read_slices(data, records, body, (headers, index, encoding), pool, workers)
            if pieces is None:  # a quote: values may span lines
                pieces = _read_quoted(records, headers, index, encoding, pool)
        except UnicodeDecodeError:
            if encoding != tried[-1]:
                continue  # cp950 failed: the Big5-HKSCS fallback is next
            raise encoding_error(buf) from None
        except _NotUtf8:
            continue
        except pa.ArrowInvalid as exc:
            if "UTF8" in str(exc):
                continue
            return _read_exact(records, "cp950" if not_utf8(buf) else encoding, totals)
        if pieces is None:
            return _read_exact(records, encoding, totals)
        rows = sum(map(len, pieces))
        lines = np.arange(2, rows + 2, dtype=np.int64)
        return headers, index, pieces, lines, encoding, totals
    raise encoding_error(buf)


# --- the header and the encoding ------------------------------------------------


def _head(buf: pa.Buffer, size: int) -> bytes:
    return buf.slice(0, min(size, buf.size)).to_pybytes()


def _totals_row(buf: pa.Buffer, body: int, encoding: str) -> tuple[int, TotalsRow | None]:
    """Where the records end, and the totals row after them (``None``: no such row).

    Only the last line with more than separators on it can be a totals row;
    it must read as one (:func:`tracker.querylog.checks.totals_count`).
    """
    start = max(body, buf.size - _TAIL_BYTES)
    tail = buf.slice(start, buf.size - start).to_pybytes()
    parts = tail.split(b"\n")
    for number in range(len(parts) - 1, -1, -1):
        if parts[number].strip(b' \t\r,"'):
            break
    else:
        return buf.size, None
    if number == 0 and start > body:
        return buf.size, None  # the line begins before the window: too long for a totals row
    begin = start + sum(len(part) + 1 for part in parts[:number])
    try:
        text = parts[number].decode(encoding).lstrip("\ufeff").rstrip("\r")
    except UnicodeDecodeError:
        return buf.size, None
    count = totals_count(next(csv.reader([text]), []))
    if count is None:
        return buf.size, None
    view = np.frombuffer(buf, dtype=np.uint8)[:begin]
    return begin, TotalsRow(int(np.count_nonzero(view == ord("\n"))) + 1, count)


def _header(buf: pa.Buffer, encoding: str) -> tuple[list[str], int]:
    """The header's names and the offset of the body (just past line 1)."""
    head = _head(buf, _HEAD_BYTES)
    cut = head.find(b"\n")
    if cut < 0 and buf.size > _HEAD_BYTES:
        raise not_a_log("第 1 行過長", "line 1 is too long for a header")
    try:
        text = (head if cut < 0 else head[:cut]).decode(encoding).lstrip("\ufeff")
    except UnicodeDecodeError:
        raise encoding_error(buf) from None
    return next(csv.reader([text.rstrip("\r")]), []), (buf.size if cut < 0 else cut + 1)


def _has_quote(data, buf: pa.Buffer, start: int) -> bool:
    """Whether a ``"`` occurs from ``start`` to the end of ``buf`` (a prefix of
    ``data``): without one no value can span lines."""
    find = getattr(data, "find", None)  # bytes and mmap search at memchr speed
    if find is not None:
        return find(b'"', start, buf.size) >= 0
    view, step = np.frombuffer(buf, dtype=np.uint8), 1 << 24
    return any(np.any(view[i : i + step] == ord('"')) for i in range(start, view.size, step))


# --- pyarrow --------------------------------------------------------------------


def _options(headers: list[str], index: dict[str, int], encoding: str, **read):
    """pyarrow options, new each call (they are mutable): every cell a string,
    an empty one null ("NA" stays text), only the recognised columns converted."""
    names = [f"c{i}" for i in range(len(headers))]
    wanted = [names[position] for position in index.values()]
    return {
        "read_options": pacsv.ReadOptions(column_names=names, encoding=encoding, **read),
        "convert_options": pacsv.ConvertOptions(
            column_types=dict.fromkeys(wanted, pa.string()),
            include_columns=wanted,
            strings_can_be_null=True,
            null_values=[""],
        ),
    }


def _read_slices(data, buf, body: int, layout, pool: Executor, workers: int) -> list[Piece] | None:
    """Parse and examine slices of the body cut after a line end, on ``pool``;
    ``None`` when a ``"`` follows the header (looked for while the slices are
    parsed: a quoted value could span two slices, so their work is dropped)."""
    cuts = _cuts(np.frombuffer(buf, dtype=np.uint8), body, workers)
    futures = [
        pool.submit(_slice, buf.slice(start, stop - start), *layout)
        for start, stop in pairwise(cuts)
    ]
    if _has_quote(data, buf, body):
        for future in futures:
            future.cancel()
        wait(futures)
        return None
    return _results(futures)


def _cuts(view: np.ndarray, body: int, workers: int) -> list[int]:
    """``body``, line ends cutting the rest into slices, and the end of the file.

    Guided: a slice is what remains over ``2 * workers`` (at least
    ``SLICE_BYTES``), so the first are large (fewer, cheaper parses) and the
    last small (the workers finish together).
    """
    cuts = [body]
    while True:
        rest = view.size - cuts[-1]
        step = max(SLICE_BYTES, rest // (2 * workers))
        if rest <= step + step // 2:
            break
        cuts.append(_line_end(view, cuts[-1] + step))
    return cuts + [view.size] if cuts[-1] < view.size else cuts


def _line_end(view: np.ndarray, position: int) -> int:
    """The offset just past the first newline at or after ``position`` (or the end)."""
    while position < view.size:
        newlines = np.flatnonzero(view[position : position + _WINDOW] == ord("\n"))
        if newlines.size:
            return position + int(newlines[0]) + 1
        position += _WINDOW
    return view.size


def _slice(buf: pa.Buffer, headers, index, encoding) -> Piece:
    """Parse (on this thread only), check the UTF-8 and examine one slice of whole lines."""
    block = min(buf.size + 1, 1 << 30)  # one block, so one chunk per column
    options = _options(headers, index, encoding, use_threads=False, block_size=block)
    options["convert_options"].check_utf8 = False  # checked below, ASCII columns skipped
    parse = pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False)
    table = pacsv.read_csv(buf, parse_options=parse, **options)
    cells = {name: _one_chunk(table.column(f"c{p}")) for name, p in index.items()}
    for values in cells.values():  # cp950 is transcoded to valid UTF-8 by pyarrow
        if encoding == "utf-8" and not _is_utf8(values):
            raise _NotUtf8
    return examine(cells)


class _NotUtf8(Exception):
    """A slice read as UTF-8 is not: the file is tried in the next encoding."""


def _is_utf8(values: pa.Array) -> bool:
    """Whether every cell is valid UTF-8.  An all-ASCII column (one numpy max)
    is, which spares pyarrow's per-value check (~20 ms per 1M rows of ASCII)."""
    data = values.buffers()[2]
    if data is None or np.frombuffer(data, dtype=np.uint8).max(initial=0) < 0x80:
        return True
    try:
        values.validate(full=True)  # checks each value's UTF-8
    except pa.ArrowInvalid:
        return False
    return True


def _one_chunk(values: pa.ChunkedArray) -> pa.Array:
    return values.chunk(0) if values.num_chunks == 1 else values.combine_chunks()


def _results(futures: list[Future]) -> list[Piece]:
    """Each future's result in order; on the first failure the rest are cancelled."""
    try:
        return [future.result() for future in futures]
    except BaseException:
        for future in futures:
            future.cancel()
        raise


def _read_quoted(buf, headers, index, encoding, pool: Executor) -> list[Piece] | None:
    """One parse allowing newlines in values; ``None`` when a value spans lines."""
    options = _options(headers, index, encoding, skip_rows=1, block_size=SLICE_BYTES)
    parse = pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False)
    table = pacsv.read_csv(buf, parse_options=parse, **options)
    if _physical_lines(buf) != table.num_rows + 1:
        return None
    futures = [
        pool.submit(examine, {name: batch.column(f"c{p}") for name, p in index.items()})
        for batch in table.to_batches()
    ]
    return _results(futures)


def _physical_lines(buf: pa.Buffer) -> int:
    view, step = np.frombuffer(buf, dtype=np.uint8), 1 << 24
    newlines = sum(
        int(np.count_nonzero(view[i : i + step] == ord("\n"))) for i in range(0, view.size, step)
    )
    return newlines + (0 if view[-1] == ord("\n") else 1)


# --- Python's csv module -------------------------------------------------------


def _read_exact(buf: pa.Buffer, encoding: str, totals: TotalsRow | None = None):
    """Python's csv module with the physical line where each record starts."""
    text, encoding = decode_text(buf, encoding)
    reader = csv.reader(io.StringIO(text, newline=""))
    headers = next(reader, [])
    index = map_headers(headers)
    rows, lines, ragged, start = [], [], [], reader.line_num + 1
    for row in reader:
        if row and len(row) != len(headers):
            ragged.append(start)
        rows.append(row or [""] * len(headers))
        lines.append(start)
        start = reader.line_num + 1
    if ragged:
        raise refusal(
            [
                (
                    f"{zh_lines(ragged)}欄位數與標題列（{len(headers)} 欄）不符",
                    f"{en_lines(ragged)}: field count differs from the header's {len(headers)}",
                )
            ]
        )
    cells = {name: text_column([row[p] for row in rows]) for name, p in index.items()}
    return headers, index, [examine(cells)], np.array(lines, dtype=np.int64), encoding, totals
