"""Maintaining a PostgreSQL database: migrations, copying a data folder in, exporting and loading it.

:func:`migrate_database` is ``python -m tracker store migrate`` on PostgreSQL;
:func:`copy_folder` is the copy step of ``python -m tracker store copy --to URL``
(the command then compares ``status --json`` and ``log verify`` on both);
:func:`export_database` and :func:`load_database` are what ``backup create``
and ``backup restore`` do with a database (:mod:`tracker.ops.backup_db`).
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from tracker.activitylog.chain import Head, entry_instant
from tracker.core import clock
from tracker.core.errors import InvalidInput, StoreError
from tracker.storage import pg_lock, pg_schema
from tracker.storage.codec import to_doc
from tracker.storage.pg_cache import owner_of
from tracker.storage.pg_connect import connect, conninfo
from tracker.storage.pg_log import read_head, stream_lines
from tracker.storage.pg_write import document_columns
from tracker.storage.registry import COLLECTIONS

_RECORD_COLUMNS = "collection, id, vendor, agency, audit, version, seq, doc, doc_text"
_LOG_COLUMNS = "seq, hash, prev_hash, at, actor, action, collection, record, line"


@dataclass(frozen=True)
class CopySummary:
    """What :func:`copy_folder` wrote: records, log lines and the head they end at."""

    records: int
    lines: int
    head: Head
    where: str


def migrate_database(url: str) -> tuple[int, list[int]]:
    """Bring the database of ``url`` to the current schema; ``(version before, versions reached)``.

    StoreError when it is newer than this code.  The steps are logged by the
    caller (it opens the store afterwards).
    """
    info, where = conninfo(url)
    with connect(info, where) as conn:
        before = pg_schema.database_schema(conn)
        pg_schema.refuse_unknown(before)
        return before, pg_schema.migrate(conn)


def copy_folder(source, url: str) -> CopySummary:
    """Copy every record, the activity log line for line, and the meta of ``source`` into ``url``.

    ``source`` is an open folder store; it is held locked throughout, so no
    change lands half-copied.  The database must be empty (no record, no log
    line; its tables are created when missing): InvalidInput otherwise.  The
    source log must verify (a broken chain is not carried into a new home):
    StoreError otherwise.  Everything is one transaction, so a failure leaves
    the database as empty as it was.
    """
    info, where = conninfo(url)
    with connect(info, where) as conn:
        pg_schema.refuse_unknown(pg_schema.database_schema(conn))
        pg_schema.migrate(conn)
        with source.locked(), conn.transaction():
            pg_lock.lock_transaction(conn)
            if not pg_schema.is_empty(conn):
                raise InvalidInput(
                    f"目標資料庫 {where} 不是空的，未複製；請指定一個新的空資料庫",
                    f"the database {where} is not empty; nothing copied — name a new, empty one",
                )
            head = _check_source(source)
            last_seq, lines = _copy_log(conn, source)
            records = _copy_records(conn, source, last_seq)
            conn.execute(
                "UPDATE tracker.log_head SET count = %s, seq = %s, hash = %s, epoch = epoch + 1",
                (head.count, head.seq, head.hash),
            )
            _copy_meta(conn, source, head)
        conn.execute("ANALYZE tracker.records, tracker.activity_log")  # statistics for the planner
    return CopySummary(records, lines, head, where)


def _check_source(source) -> Head:
    checked = source.log.verify()
    if not checked.ok:
        raise StoreError(
            f"資料夾的操作日誌驗證失敗（第 {checked.line} 行：{checked.problem_zh}），未複製",
            f"the folder's activity log does not verify (line {checked.line}: "
            f"{checked.problem_en}); nothing copied",
        )
    tables = source.root / "tables"
    unknown = sorted(
        p.name for p in (tables.iterdir() if tables.is_dir() else ()) if p.name not in COLLECTIONS
    )
    if unknown:
        raise StoreError(
            f"資料夾有本版本不認得的資料表（{', '.join(unknown)}），未複製；請用建立它的版本",
            f"the folder holds collections this version does not know ({', '.join(unknown)}); "
            "nothing copied",
        )
    return source.log.head()


def _copy_log(conn, source) -> tuple[dict[tuple[str, str], int], int]:
    """Every log line exactly as the folder holds it; the last seq naming each record."""
    last_seq: dict[tuple[str, str], int] = {}
    count = 0
    with (
        conn.cursor() as cur,
        cur.copy(f"COPY tracker.activity_log ({_LOG_COLUMNS}) FROM STDIN") as copy,
    ):
        for raw in source.log.raw_lines():
            entry = orjson.loads(raw)
            collection, record = _text(entry.get("collection")), _text(entry.get("record"))
            if collection is not None and record is not None:
                last_seq[(collection, record)] = entry["seq"]
            copy.write_row(_log_row(entry, raw))
            count += 1
    return last_seq, count


def _copy_records(conn, source, last_seq: dict[tuple[str, str], int]) -> int:
    count = 0
    with (
        conn.cursor() as cur,
        cur.copy(f"COPY tracker.records ({_RECORD_COLUMNS}) FROM STDIN") as copy,
    ):
        for coll in list(COLLECTIONS.values()):
            for record in source.all(coll.cls):
                doc, doc_text = document_columns(to_doc(record))
                seq = last_seq.get((coll.name, record.id), 0)
                copy.write_row(
                    (coll.name, record.id, *owner_of(coll, record), 1, seq, doc, doc_text)
                )
                count += 1
    return count


def _copy_meta(conn, source, head: Head) -> None:
    meta = {k: v for k, v in source.meta.items() if k != "schema"}  # the folder's own layout
    meta["copied_from"] = {
        "data_dir": str(source.root),
        "at": clock.now().isoformat(timespec="seconds"),
        "log_seq": head.seq,
        "log_hash": head.hash,
    }
    for key, value in meta.items():
        conn.execute(
            "INSERT INTO tracker.meta VALUES (%s, %s::jsonb) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            (key, orjson.dumps(value).decode()),
        )


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


# --- a database's contents as files (backup create/restore of a PostgreSQL deployment) -------

RECORD_KEYS = ("collection", "id", "vendor", "agency", "audit", "version", "seq", "doc")


def export_database(store, records_out, log_out) -> tuple[Head, dict, int]:
    """Write every row (one JSON object a line) and every log line to the two binary files.

    One snapshot: the caller holds ``store.locked()``.  Returns the head, the
    meta (with ``schema``) and the number of rows written.
    """
    rows = 0
    with store._pool.connection() as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        head = read_head(conn)[0]
        with conn.cursor(name="export_records") as cur:
            cur.itersize = 2000
            cur.execute(
                "SELECT collection, id, vendor, agency, audit, version, seq, "
                "coalesce(doc::text, doc_text) FROM tracker.records ORDER BY collection, id"
            )
            for *fields, text in cur:
                row = orjson.dumps(dict(zip(RECORD_KEYS[:-1], fields, strict=True)))
                records_out.write(row[:-1] + b',"doc":' + text.encode() + b"}\n")  # as stored
                rows += 1
        for raw in stream_lines(conn):
            log_out.write(raw)
    return head, store.meta, rows


def load_database(url: str, records, lines, meta: dict, head: Head, check=None) -> int:
    """Fill the empty database of ``url`` from an export (rows, log lines, meta); returns the rows.

    ``records`` and ``lines`` iterate over the export's lines (bytes).  One
    transaction; InvalidInput when the database is not empty.  ``check(conn)``,
    when given, runs last inside that transaction: whatever it raises leaves
    the database as it was.
    """
    info, where = conninfo(url)
    with connect(info, where) as conn:
        pg_schema.refuse_unknown(pg_schema.database_schema(conn))
        pg_schema.migrate(conn)
        with conn.transaction():
            pg_lock.lock_transaction(conn)
            if not pg_schema.is_empty(conn):
                raise InvalidInput(
                    f"目標資料庫 {where} 不是空的，未還原；請指定一個新的空資料庫",
                    f"the database {where} is not empty; nothing restored",
                )
            count = _load_rows(conn, records)
            with (
                conn.cursor() as cur,
                cur.copy(f"COPY tracker.activity_log ({_LOG_COLUMNS}) FROM STDIN") as copy,
            ):
                for raw in lines:
                    entry = orjson.loads(raw)
                    copy.write_row(_log_row(entry, raw))
            conn.execute(
                "UPDATE tracker.log_head SET count = %s, seq = %s, hash = %s, epoch = epoch + 1",
                (head.count, head.seq, head.hash),
            )
            for key, value in meta.items():
                if key != "schema":
                    conn.execute(
                        "INSERT INTO tracker.meta VALUES (%s, %s::jsonb) "
                        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                        (key, orjson.dumps(value).decode()),
                    )
            if check is not None:
                check(conn)
        conn.execute("ANALYZE tracker.records, tracker.activity_log")
    return count


def _load_rows(conn, records) -> int:
    count = 0
    with (
        conn.cursor() as cur,
        cur.copy(f"COPY tracker.records ({_RECORD_COLUMNS}) FROM STDIN") as copy,
    ):
        for raw in records:
            row = orjson.loads(raw)
            doc, doc_text = document_columns(row["doc"])
            copy.write_row((*(row[k] for k in RECORD_KEYS[:-1]), doc, doc_text))
            count += 1
    return count


def _log_row(entry: dict, raw: bytes) -> tuple:
    return (
        entry["seq"],
        entry["hash"],
        entry["prev_hash"],
        entry_instant(entry),
        _text(entry.get("actor")),
        _text(entry.get("action")),
        _text(entry.get("collection")),
        _text(entry.get("record")),
        raw.rstrip(b"\n").decode(),
    )
