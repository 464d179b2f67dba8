"""``store check`` on PostgreSQL: every record row, evidence file and query-log import against the log.

Under the store's lock, so nothing changes meanwhile.  The whole log is
verified, then replayed: the last line naming each record gives the document
it must have (secret fields as the digest the log keeps, see
:func:`~tracker.storage.registry.redacted`) and the ``seq`` its row must carry.
A row no remaining line names must be older than the purge anchor (its history
was purged); a row changed since without a line is named.  Files and imports
are checked as for the folder (:mod:`tracker.storage.check`): every file a
record refers to exists with its SHA-256, every stored file is referred to,
every import is one manifest entry, one Parquet file and one record; no
unfinished transaction or temporary file is left in the shared folder.
Nothing is changed.
"""

from __future__ import annotations

import dataclasses
from functools import cache

import orjson

from tracker.activitylog.chain import is_anchor
from tracker.storage.check import (
    CheckResult,
    Difference,
    _check_files,
    _check_imports,
    _check_leftovers,
)
from tracker.storage.checkpoint import TableFile
from tracker.storage.codec import _encode
from tracker.storage.pg_log import stream_lines
from tracker.storage.registry import COLLECTIONS, redacted
from tracker.storage.tables import Records

LOG = "tracker.activity_log"


def check_database(store, blobs=None, logs=None) -> CheckResult:
    """Compare the database's rows (and the shared folders) with the log; nothing is changed."""
    result = CheckResult()
    with store.locked():
        verified = store.log.verify()
        result.log_lines = verified.lines
        if not verified.ok:
            result.add(
                LOG,
                f"第 {verified.line} 行：{verified.problem_zh}",
                f"line {verified.line}: {verified.problem_en}",
            )
            return result
        rows = _rows(store._conn)
        _compare_all(_replay(store.log.raw_lines()), rows, result)
        held = _as_records(rows)
        result.tables = sum(1 for records in held.values() if records.index)
        result.records = len(rows)
        if blobs is not None:
            _check_files(held, blobs, result)
        if logs is not None:
            _check_imports(held, logs, result)
        _check_leftovers(store, result)
    return result


def rows_against_log(conn) -> list[Difference]:
    """Each row against the last log line naming it, as ``conn``'s transaction sees both.

    What ``store check`` compares, without verifying the chain (the caller has:
    a restore verifies the archive's first).  Empty: the rows are what the log says.
    """
    result = CheckResult()
    _compare_all(_replay(stream_lines(conn)), _rows(conn), result)
    return result.differences


def _compare_all(replay: tuple[dict, int], rows: dict, result: CheckResult) -> None:
    replayed, anchor_seq = replay
    for key in sorted(replayed.keys() | rows.keys()):
        _compare(key, replayed.get(key), rows.get(key), anchor_seq, result)


def _replay(lines) -> tuple[dict, int]:
    """``{(collection, id): (seq, document after or None)}`` from the log, and the anchor's seq."""
    replayed, anchor_seq = {}, 0
    for raw in lines:
        entry = orjson.loads(raw)
        if is_anchor(entry):
            anchor_seq = int(entry["seq"])
        elif entry.get("collection") and entry.get("record"):
            replayed[(entry["collection"], entry["record"])] = (entry["seq"], entry.get("after"))
    return replayed, anchor_seq


def _rows(conn) -> dict:
    rows = conn.execute(
        "SELECT collection, id, seq, coalesce(doc::text, doc_text) FROM tracker.records"
    ).fetchall()
    return {(c, i): (int(seq), orjson.loads(text)) for c, i, seq, text in rows}


def _compare(key, logged, row, anchor_seq: int, result: CheckResult) -> None:
    name, record_id = key
    where = f"tracker.records/{name}/{record_id}"
    coll = COLLECTIONS.get(name)
    if coll is None:
        result.add(where, f"未知的資料集 {name}", f"unknown collection {name}")
        return
    if logged is None:
        # a row the log does not name is history purged before the anchor: only if there is
        # an anchor (an unpurged log names every row, whatever seq a forged row claims)
        if not anchor_seq or row[0] > anchor_seq:
            result.add(
                where,
                f"多出紀錄 {record_id}（日誌中沒有）",
                f"record {record_id} is in the table but not in the log",
            )
        return
    seq, after = logged
    if row is None:
        if after is not None:
            result.add(
                where,
                f"缺少紀錄 {record_id}（日誌中有）",
                f"record {record_id} is in the log but not in the table",
            )
        return
    if after is None:
        result.add(
            where,
            f"紀錄 {record_id} 已於日誌第 {seq} 筆刪除，資料表仍有",
            f"record {record_id} was deleted by line {seq} but is still in the table",
        )
        return
    have = redacted(coll, row[1])
    fields = _differing(coll.cls, have, after) if have != after else []
    if fields:
        shown = ", ".join(f"{k}: {have.get(k)!r} ≠ {after.get(k)!r}" for k in fields)[:300]
        result.add(
            where,
            f"紀錄 {record_id} 與日誌不符（{shown}）",
            f"record {record_id} differs from the log ({shown})",
        )
    elif row[0] != seq:
        result.add(
            where,
            f"紀錄 {record_id} 的最後變更不是日誌第 {seq} 筆（資料表記為 {row[0]}）",
            f"record {record_id} was last changed by line {seq}, its row says {row[0]}",
        )


def _differing(cls, have: dict, after: dict) -> list[str]:
    """The fields whose values differ; a field one side lacks counts as its default.

    A row copied in by ``store copy`` (or written by a later version) carries
    fields an older version's log line never named, holding their defaults.
    """
    defaults = _defaults(cls)
    missing = object()
    return sorted(
        k
        for k in have.keys() | after.keys()
        if have.get(k, defaults.get(k, missing)) != after.get(k, defaults.get(k, missing))
    )


@cache
def _defaults(cls) -> dict:
    """Each optional field of ``cls`` and its default as a document holds it."""
    out = {}
    for f in dataclasses.fields(cls):
        if f.default_factory is not dataclasses.MISSING:
            out[f.name] = _encode(f.default_factory())
        elif f.default is not dataclasses.MISSING:
            out[f.name] = _encode(f.default)
    return out


def _as_records(rows: dict) -> dict[str, Records]:
    """The rows as the folder check's ``Records`` (one partition per collection), for the file checks."""
    held = {name: Records(coll) for name, coll in COLLECTIONS.items()}
    docs: dict[str, dict] = {name: {} for name in held}
    for (name, record_id), (_seq, doc) in rows.items():
        if name in docs:
            docs[name][record_id] = doc
    for name, by_id in docs.items():
        held[name].add_file("all", TableFile(by_id, 0, "", ""))
    return held
