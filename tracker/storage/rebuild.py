"""Tables rebuilt from the activity log alone (and the base snapshot a purge left).

:func:`replay` starts from the base snapshot when there is one (a retention
purge wrote it before replacing old lines by an anchor), else from line 1,
verifies every line it reads and applies each change; redacted values come
from :mod:`tracker.storage.secrets`.  :func:`rebuild_all` (``store rebuild``)
writes every table and a new ``checkpoint.json`` from it.
"""

from __future__ import annotations

from pathlib import Path

from tracker.activitylog.chain import check_line, is_anchor
from tracker.activitylog.log import refusal
from tracker.storage.checkpoint import (
    START,
    TABLES,
    Damaged,
    Manifest,
    Position,
    read_base,
    read_table,
    table_names,
    table_path,
    write_manifest,
)
from tracker.storage.registry import COLLECTIONS, Collection
from tracker.storage.tables import Records


def replay(root: Path, log, secrets, colls: list[Collection], end: Position):
    """The collections as the log has them at ``end``: ``({name: Records}, values not restored)``.

    Raises IntegrityError when a line does not verify, or when the log begins
    with an anchor and there is no base snapshot to start from.
    """
    out = {coll.name: Records(coll) for coll in colls}
    try:
        start = _base_tables(root, out)
    except Damaged as exc:
        raise refusal(f"基準快照損毀（{exc.reason}），無法重建資料表", exc.reason) from None
    if start.count:
        entry, problem = log.line_at(start.offset)
        if problem or entry["hash"] != start.hash:
            raise refusal(
                "操作日誌不含基準快照的位置，無法重建資料表",
                "the log does not hold the base snapshot's line; tables cannot be rebuilt",
            )
    missing = []
    prev, seq, count = start.hash, start.seq, start.count
    for raw in _lines(log, start.offset, end.offset):
        entry, problem = check_line(raw, prev, seq + 1 if count else None, count + 1)
        if problem:
            raise refusal(
                f"操作日誌第 {count + 1} 行無法驗證：{problem[0]}，無法重建資料表",
                f"line {count + 1} does not verify ({problem[1]}); tables cannot be rebuilt",
            )
        if count == 0 and is_anchor(entry):
            raise refusal(
                "操作日誌已清除舊紀錄且沒有基準快照，無法重建資料表，請由備份還原",
                "the log was purged and no base snapshot exists; restore from a backup",
            )
        prev, seq, count = entry["hash"], entry["seq"], count + 1
        records = out.get(entry.get("collection") or "")
        if records is not None:
            after, lost = secrets.resolve(records.coll, entry["record"], entry.get("after"))
            missing += [f"{records.coll.name}/{entry['record']}.{name}" for name in lost]
            before = entry.get("before")
            part = records.coll.doc_partition(before) if isinstance(before, dict) else None
            records.apply(entry["seq"], entry["record"], after, before=part)
    return out, sorted(set(missing))


def rebuild_all(store, end: Position) -> list[str]:
    """Rewrite every table of every known collection from the log; returns values not restored.

    The caller holds the lock.  Table files of partitions the log no longer
    has are removed, and ``checkpoint.json`` lists exactly what was written.
    """
    colls = list(COLLECTIONS.values())
    rebuilt, missing = replay(store.root, store.log, store.secrets, colls, end)
    view = store.view
    view.end = end
    view.manifest = Manifest(end, {})
    for records in rebuilt.values():
        view.write_tables(records, set(records.parts), durable=store.durable)
    for name, part in table_names(store.root):
        if f"{name}/{part}" not in view.manifest.tables and name in rebuilt:
            table_path(store.root, name, part).unlink(missing_ok=True)
    write_manifest(store.root, view.manifest, durable=store.durable)
    return missing


def _base_tables(root: Path, out: dict[str, Records]) -> Position:
    found = read_base(root)
    if found is None:
        return START
    folder, manifest = found
    for key, listing in manifest.tables.items():
        name, part = key.split("/", 1)
        if name in out:
            table = read_table(folder / TABLES / name / f"{part}.json", name)
            if table.listing() != listing:
                raise Damaged(f"base snapshot table {key} differs from its manifest")
            out[name].add_file(part, table)
    return manifest.position


def _lines(log, start: int, end: int):
    """The log's lines between two offsets, read in blocks (the whole log may be large)."""
    if end <= start:
        return
    with log.path.open("rb") as fh:
        fh.seek(start)
        remaining, rest = end - start, b""
        while remaining > 0:
            block = fh.read(min(remaining, 8 << 20))
            if not block:
                break
            remaining -= len(block)
            lines = (rest + block).split(b"\n")
            rest = lines.pop()
            for line in lines:
                yield line + b"\n"
        if rest:
            yield rest
