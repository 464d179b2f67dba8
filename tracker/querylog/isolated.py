"""Reading an XLSX query-log export in a separate, limited process (a CSV is read in place).

An XLSX is a ZIP of XML: 0.8 MB can hold a million rows that openpyxl reads
for minutes with hundreds of megabytes, in the process every user shares.  So
:func:`read_export_isolated` checks what the ZIP says about itself first (its
members' uncompressed sizes, at most :data:`MAX_UNCOMPRESSED`), then hands
the bytes to a fresh interpreter that limits its own address space, CPU time
and wall clock, refuses files writes, counts the rows and cells of every
sheet (at most :data:`MAX_ROWS`, :data:`MAX_CELLS`) and only then calls the
ordinary reader, :func:`tracker.querylog.reader.read_export`.  The checked
table comes back as an Arrow IPC stream (data, not pickled objects).  At most
:data:`AT_ONCE` such readers run at a time.  Every refusal is an InvalidInput
with a zh-TW message; nothing is stored.

A CSV needs none of this: pyarrow reads it in C at file speed, and its size
is bounded by the upload limit.
"""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import zipfile
import zlib
from pathlib import Path

import pyarrow as pa

from tracker.core.errors import InvalidInput
from tracker.querylog.reader import open_export, read_export
from tracker.querylog.schema import QueryLog

MAX_ROWS = 100_000  # an XLSX export larger than this is refused: CSV has no such limit
MAX_CELLS = 2_000_000
MAX_UNCOMPRESSED = 128 * 1024 * 1024  # every member of the ZIP together
MAX_FILE = 64 * 1024 * 1024  # an XLSX file itself (the app's upload limit is lower)
MEMORY_MB = 1536
CPU_S = 120
WALL_S = 150
AT_ONCE = 1
WAIT_S = 30.0  # for the reader in use by someone else
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]
_turn = threading.BoundedSemaphore(AT_ONCE)
# Start tags of rows and cells, without and with a namespace prefix (<x:row …>).
_ROW_TAGS = (b"<row ", b"<row>", b":row ", b":row>")
_CELL_TAGS = (b"<c ", b"<c>", b":c ", b":c>")


def read_export_isolated(data: bytes, filename: str | None = None) -> QueryLog:
    """:func:`~tracker.querylog.reader.read_export`, an XLSX read in a limited child process.

    Raises InvalidInput for what ``read_export`` refuses, an XLSX over the size,
    row or cell limits, or one that its reader could not finish within the
    time and memory limits; and when another import's reader stays busy.
    """
    if bytes(data[:4]) != b"PK\x03\x04":
        return read_export(data, filename=filename)
    check_zip_sizes(data)
    if not _turn.acquire(timeout=WAIT_S):
        raise InvalidInput(
            "另一個 XLSX 匯入正在處理中，請稍後再試", "another XLSX import is being read; try later"
        )
    try:
        return _in_child(bytes(data), filename)
    finally:
        _turn.release()


def open_export_isolated(path: Path) -> QueryLog:
    """:func:`~tracker.querylog.reader.open_export` (a CSV memory-mapped), an XLSX read as
    :func:`read_export_isolated` reads it."""
    path = Path(path)
    try:
        with open(path, "rb") as file:
            is_zip = file.read(4) == b"PK\x03\x04"
            data = file.read(MAX_FILE + 1) if is_zip else b""
    except OSError as exc:
        raise InvalidInput(
            f"無法讀取檔案 {path}（{exc.strerror}）", f"cannot read file {path}: {exc.strerror}"
        ) from None
    if not is_zip:
        return open_export(path)
    if len(data) + 4 > MAX_FILE:
        raise _too_big(f"檔案超過 {MAX_FILE / 2**20:.0f} MB")
    return read_export_isolated(b"PK\x03\x04" + data, filename=path.name)


def check_zip_sizes(data: bytes) -> None:
    """Refuse a ZIP whose members would inflate past :data:`MAX_UNCOMPRESSED` (as it declares them;
    the reader never inflates a member past its declared size)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        return  # not a readable ZIP: read_export names what it is
    if total > MAX_UNCOMPRESSED:
        raise _too_big(
            f"解壓縮後 {total / 2**20:,.0f} MB，超過上限 {MAX_UNCOMPRESSED / 2**20:.0f} MB"
        )


def _too_big(what_zh: str) -> InvalidInput:
    return InvalidInput(
        f"查詢紀錄檔未受理：XLSX 過大（{what_zh}），請改以 CSV 匯出後再匯入",
        f"query log refused: the XLSX is too large ({what_zh}); export it as CSV instead",
    )


def _in_child(data: bytes, filename: str | None) -> QueryLog:
    bootstrap = f"import sys; sys.path.insert(0, {str(_PACKAGE_ROOT)!r}); "
    bootstrap += "from tracker.querylog.isolated import child_main; child_main()"
    try:
        done = subprocess.run(
            [sys.executable, "-c", bootstrap, filename or ""],
            input=data,
            capture_output=True,
            timeout=WALL_S + 10,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise _unfinished("時間") from None
    if done.returncode != 0 or not done.stdout:
        raise _unfinished("記憶體" if b"MemoryError" in done.stderr else "時間或記憶體")
    return _decoded(done.stdout, filename)


def _unfinished(limit_zh: str) -> InvalidInput:
    return InvalidInput(
        f"查詢紀錄檔未受理：XLSX 無法在{limit_zh}限制內讀完，請改以 CSV 匯出後再匯入",
        "query log refused: the XLSX could not be read within the time and memory limits",
    )


def _decoded(output: bytes, filename: str | None) -> QueryLog:
    """The child's answer: a JSON line, then (on success) the table as an Arrow IPC stream."""
    header, _, body = output.partition(b"\n")
    answer = json.loads(header)
    if "error" in answer:
        raise InvalidInput(answer["error"]["zh"], answer["error"]["en"])
    table = pa.ipc.open_stream(pa.py_buffer(body)).read_all()
    return QueryLog(
        table, answer["sha256"], answer["format"], answer["encoding"], filename, answer["columns"]
    )


# --- the child ---------------------------------------------------------------------


def child_main() -> None:
    """Run in the child: limits first, then the counts, then the reader; answer on stdout."""
    _limit()
    out = sys.stdout.buffer
    try:
        data = sys.stdin.buffer.read()
        _count_rows_and_cells(data)
        log = read_export(data, filename=sys.argv[1] or None)
    except InvalidInput as exc:
        out.write(json.dumps({"error": {"zh": exc.message_zh, "en": exc.message_en}}).encode())
        out.write(b"\n")
        return
    meta = {
        "sha256": log.sha256,
        "format": log.format,
        "encoding": log.encoding,
        "columns": log.columns,
    }
    out.write(json.dumps(meta, ensure_ascii=False).encode() + b"\n")
    with pa.ipc.new_stream(out, log.table.schema) as writer:
        writer.write_table(log.table)


def _limit() -> None:
    signal.signal(signal.SIGALRM, signal.SIG_DFL)  # its default action ends the process
    signal.alarm(WALL_S)
    for kind, value in (
        (resource.RLIMIT_AS, MEMORY_MB * 1024 * 1024),
        (resource.RLIMIT_CPU, CPU_S),
        (resource.RLIMIT_FSIZE, 0),
        (resource.RLIMIT_CORE, 0),
    ):
        _, hard = resource.getrlimit(kind)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(kind, (value, hard if kind != resource.RLIMIT_CPU else value + 5))
    os.nice(5)  # an import may wait; the people using the app should not


def _count_rows_and_cells(data: bytes) -> None:
    """Refuse a workbook with more than MAX_ROWS rows or MAX_CELLS cells, counted in its XML
    (streamed, never more than the declared sizes) before any XML parser sees it."""
    rows = cells = 0
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return
    with archive:
        for info in archive.infolist():
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                more_rows, more_cells = _count(archive, info)
                rows, cells = rows + more_rows, cells + more_cells
                if rows > MAX_ROWS:
                    raise _too_big(f"超過 {MAX_ROWS:,} 列")
                if cells > MAX_CELLS:
                    raise _too_big(f"超過 {MAX_CELLS:,} 格")


def _count(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, int]:
    """Row and cell start tags of one sheet, streamed.  Each tag is looked for in the chunk
    plus the previous chunk's last ``len(tag) - 1`` bytes: a tag cut in two is found once,
    and no tag fits in that tail to be found twice."""
    rows = cells = 0
    previous = b""
    try:
        with archive.open(info) as member:
            while chunk := member.read(1 << 20):
                rows += sum((previous[1 - len(t) :] + chunk).count(t) for t in _ROW_TAGS)
                cells += sum((previous[1 - len(t) :] + chunk).count(t) for t in _CELL_TAGS)
                previous = chunk
    except (zipfile.BadZipFile, zlib.error, EOFError):
        pass  # a damaged member: the reader says so
    return rows, cells
