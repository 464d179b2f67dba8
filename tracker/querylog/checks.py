"""Checking an export's cells and final totals row, and assembling the checked table.

The readers (:mod:`tracker.querylog.csvreader`, :mod:`tracker.querylog.xlsxreader`) map the header
with :func:`tracker.querylog.headers.map_headers`, cut the rows into :class:`Piece` objects with
:func:`examine` (pieces may be examined on several threads at once), recognise a final
totals row with :func:`totals_count`, and :func:`assemble` refuses the whole file,
listing line numbers, or returns the table in :data:`tracker.querylog.schema.SCHEMA`.
Every row's time and required cells are checked; nothing is sampled.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tracker.core.errors import InvalidInput
from tracker.core.idnumbers import mask_id
from tracker.querylog.dates import parse_times
from tracker.querylog.schema import LABELS, OPTIONAL, REQUIRED, SCHEMA, TotalsRow

MAX_LISTED = 20


# --- a final totals row -------------------------------------------------------------

_TOTALS = re.compile(
    r"(?:合計|總計|共計|總筆數|筆數合計|資料筆數|查詢筆數|筆數|共|total):?共?([0-9]{1,12})"
    r"(?:筆|件|records?|rows?)?(?:資料|紀錄|記錄|查詢紀錄)?"
)


def totals_count(cells) -> int | None:
    """The count a totals row states (``合計 1,234 筆``, ``總計：10筆``, ``共 10 筆``),
    read from all of its cells joined; ``None`` when the row is no totals row."""
    text = unicodedata.normalize("NFKC", "".join(cell or "" for cell in cells)).casefold()
    found = _TOTALS.fullmatch(re.sub(r"[\s,]", "", text))
    return int(found[1]) if found else None


def _totals_problem(totals: TotalsRow | None, records: int) -> list[tuple[str, str]]:
    if totals is None or totals.count == records:
        return []
    return [
        (
            f"第 {totals.line} 行為合計列（{totals.count:,} 筆），但檔案有 {records:,} 筆紀錄，筆數不符",
            f"line {totals.line} is a totals row stating {totals.count:,} records, "
            f"but the file has {records:,}",
        )
    ]


# --- pieces --------------------------------------------------------------------


@dataclass(frozen=True)
class Piece:
    """Consecutive rows of an export and the checks of their cells.

    ``cells``: field -> string cells, an empty cell null; ``seconds`` and
    ``readable``: ``queried_at`` as :func:`tracker.querylog.dates.parse_times` reads
    it; ``blank``: field -> which cells are empty or only whitespace, ``None``
    when none is (the usual case, which then costs no mask).
    """

    cells: dict[str, pa.Array]
    seconds: np.ndarray
    readable: np.ndarray
    blank: dict[str, np.ndarray | None]

    def __len__(self) -> int:
        return len(self.seconds)


def examine(cells: dict[str, pa.Array]) -> Piece:
    """Read the times and find the blank cells of one piece (thread-safe)."""
    seconds, readable = parse_times(cells["queried_at"])
    blank = {name: _blank(values) for name, values in cells.items() if name != "queried_at"}
    # a readable time is not blank: only a piece with unreadable ones needs the test
    blank["queried_at"] = None if readable.all() else _blank(cells["queried_at"])
    return Piece(cells, seconds, readable, blank)


def _blank(values: pa.Array) -> np.ndarray | None:
    """Empty (null) or whitespace-only cells; ``None`` when there are none.

    ``utf8_is_space`` runs only when some value starts with a byte that can
    begin a space (ASCII blanks, the lead bytes of NBSP and of the
    U+2000/U+3000 spaces): the first bytes' range, else a lookup, rules out the rest.
    """
    nulls = _numpy(values.is_null()) if values.null_count else None
    data = np.frombuffer(values.buffers()[2] or b"", dtype=np.uint8)
    if not data.size:
        return nulls
    offsets = np.frombuffer(values.buffers()[1], np.int32)[values.offset :][: len(values)]
    first = data.take(offsets, mode="clip")
    low, high = int(first.min()), int(first.max())  # ids, IPs, CJK text: no lookup needed
    if (low > 0x20 and (high < 0xC2 or low > 0xE3)) or not _SPACE_LEAD.take(first).any():
        return nulls
    return _numpy(pc.utf8_is_space(values).fill_null(True))


_SPACE_LEAD = np.zeros(256, dtype=bool)
_SPACE_LEAD[[0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xC2, 0xE1, 0xE2, 0xE3]] = True


def text_column(values: list[str]) -> pa.Array:
    """Python strings to an Arrow column, an empty cell as null (as pyarrow's CSV reader has it)."""
    return pa.array([value or None for value in values], pa.string())


def _numpy(values: pa.Array) -> np.ndarray:
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=bool)


# --- the table ------------------------------------------------------------------


def assemble(
    headers: list[str],
    index: dict[str, int],
    pieces: list[Piece],
    lines: np.ndarray,
    totals: TotalsRow | None = None,
) -> tuple[pa.Table, dict[str, str]]:
    """The checked table of ``pieces`` (in file order; ``lines`` has one entry per
    row) and each field's header.  Rows whose recognised cells are all blank are
    skipped; raises InvalidInput listing every unreadable time and blank required
    cell, and a ``totals`` row (already left out of ``pieces``) whose count is
    not the number of records.

    The pieces' columns become the table's chunks as they are: nothing is
    copied unless blank rows must go.
    """
    cells = {name: pa.chunked_array([p.cells[name] for p in pieces], pa.string()) for name in index}
    times = pa.chunked_array([_timestamps(p.seconds) for p in pieces], _TIME)
    blank = {name: _joined([p.blank[name] for p in pieces], pieces) for name in index}
    readable = [p.readable for p in pieces]
    unreadable = None if all(r.all() for r in readable) else ~_concatenate(readable)
    keep = _records(blank)
    if keep is not None:  # blank lines and ",,,," rows are not records
        cells = {name: values.filter(pa.array(keep)) for name, values in cells.items()}
        blank = {name: None if mask is None else mask[keep] for name, mask in blank.items()}
        lines, times = lines[keep], times.filter(pa.array(keep))
        unreadable = None if unreadable is None else unreadable[keep]
    _check(cells, blank, unreadable, lines, _totals_problem(totals, len(lines)))
    table = pa.table(
        [times]
        + [cells[name] for name in REQUIRED[1:]]
        + [_nullable(cells.get(name), blank.get(name), len(lines)) for name in OPTIONAL]
        + [pa.array(lines, pa.int64())],
        schema=SCHEMA,
    )
    return table, {name: headers[position] for name, position in index.items()}


_TIME = SCHEMA.field("queried_at").type


def _timestamps(seconds: np.ndarray) -> pa.Array:
    """``seconds`` as the time column's type, sharing the numpy memory."""
    return pa.Array.from_buffers(_TIME, len(seconds), [None, pa.py_buffer(seconds)])


def _joined(masks: list[np.ndarray | None], pieces: list[Piece]) -> np.ndarray | None:
    """One mask for all pieces (a piece's ``None`` read as all false), ``None`` if all are."""
    if all(mask is None for mask in masks):
        return None
    return _concatenate(
        [
            np.zeros(len(p), dtype=bool) if m is None else m
            for m, p in zip(masks, pieces, strict=True)
        ]
    )


def _records(blank: dict[str, np.ndarray | None]) -> np.ndarray | None:
    """Which rows have a non-blank recognised cell, or ``None`` when all do."""
    if any(mask is None for mask in blank.values()):
        return None
    keep = ~np.logical_and.reduce(list(blank.values()))
    return None if keep.all() else keep


def _concatenate(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype=bool)


def _nullable(values: pa.ChunkedArray | None, blank: np.ndarray | None, n: int):
    """``values`` with every blank cell null.  Empty cells already are (the
    readers make them null), so only whitespace-only cells cost a copy."""
    if values is None:
        return pa.nulls(n, pa.string())
    if blank is None:
        return values
    chunks, start = [], 0
    for chunk in values.chunks:
        mask, start = blank[start : start + len(chunk)], start + len(chunk)
        if np.count_nonzero(mask) > chunk.null_count:
            chunk = pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), chunk)
        chunks.append(chunk)
    return pa.chunked_array(chunks, pa.string())


def _check(cells: dict, blank: dict, unreadable, lines: np.ndarray, problems: list) -> None:
    problems = list(problems)
    if unreadable is not None and blank["queried_at"] is not None:
        unreadable &= ~blank["queried_at"]
    if unreadable is not None and unreadable.any():
        example = cells["queried_at"][int(np.flatnonzero(unreadable)[0])].as_py()
        example = re.sub(r"[A-Za-z][A-Za-z0-9]\d{8}", lambda m: mask_id(m[0]), example)[:40]
        problems.append(
            (
                f"{zh_lines(lines[unreadable])}查詢時間無法辨識（例：「{example}」）",
                f"{en_lines(lines[unreadable])}: unreadable queried_at (e.g. {example!r})",
            )
        )
    for name in REQUIRED:
        if blank[name] is not None and blank[name].any():
            problems.append(
                (
                    f"{zh_lines(lines[blank[name]])}{LABELS[name]}空白",
                    f"{en_lines(lines[blank[name]])}: empty {name}",
                )
            )
    if problems:
        raise refusal(problems)


# --- messages -------------------------------------------------------------------


def refusal(problems: list[tuple[str, str]]) -> InvalidInput:
    """The whole file refused, for each ``(zh-TW, English)`` problem."""
    return InvalidInput(
        "查詢紀錄檔未受理：" + "；".join(zh for zh, _ in problems),
        "query log refused: " + "; ".join(en for _, en in problems),
    )


def not_a_log(what_zh: str, what_en: str) -> InvalidInput:
    """The refusal of a file that is no export at all (``what`` says what it is)."""
    return InvalidInput(
        f"不是查詢紀錄檔（{what_zh}）：請上傳 CSV 或 XLSX",
        f"not a query-log export ({what_en}): upload CSV or XLSX",
    )


def zh_lines(lines) -> str:
    """``第 2、3 行`` with at most ``MAX_LISTED`` numbers, then a count of the rest."""
    shown = "、".join(str(n) for n in lines[:MAX_LISTED])
    more = len(lines) - MAX_LISTED
    return f"第 {shown} 行" + (f"及另外 {more} 行" if more > 0 else "")


def en_lines(lines) -> str:
    """``line 2`` / ``lines 2, 3`` with at most ``MAX_LISTED`` numbers, then a count."""
    shown = ", ".join(str(n) for n in lines[:MAX_LISTED])
    more = len(lines) - MAX_LISTED
    return (
        ("line " if len(lines) == 1 else "lines ")
        + shown
        + (f" and {more} more" if more > 0 else "")
    )
