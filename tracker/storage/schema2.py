"""Schema 1 → 2: table files become checkpoints of the activity log.

Schema 1 wrote each change to the log and then to a plain TinyDB table, so
the two could disagree (a table deleted or edited, a logged change that never
reached its table).  The step, run by :func:`tracker.ops.upgrade.upgrade`
after its verified backup and under the store's lock:

1. verifies the whole log (a broken chain is never migrated) and records the
   log's size in its head;
2. reads the old tables and replays the log; for every record the log knows,
   the log's version wins (the table's real password hash is kept when it
   matches the digest the log shows, or when the log's newer one was never
   kept); records the log no longer has lines for (a purged log) are taken
   from the tables;
3. writes every table in the checkpoint format, ``checkpoint.json`` and, for a
   purged log, a base snapshot, and returns the differences it corrected
   (logged with the ``schema_migrated`` line).
"""

from __future__ import annotations

from pathlib import Path

from tinydb.storages import JSONStorage

from tracker.activitylog.chain import Head, is_anchor
from tracker.activitylog.log import ActivityLog
from tracker.core.errors import StoreError
from tracker.core.fileio import atomic_write
from tracker.storage.checkpoint import (
    TABLES,
    Manifest,
    Position,
    encode_table,
    table_path,
    write_base,
    write_manifest,
)
from tracker.storage.registry import COLLECTIONS, redacted
from tracker.storage.secrets import PREFIX, Secrets


def tables_from_log(store) -> dict:
    """The migration step (see the module docstring); returns ``{"corrected": [...]}``."""
    root = Path(store.root)
    log = ActivityLog(root)
    head = _verified_head(log)
    old = _old_tables(root)
    logged, anchored = _replay(log)
    secrets = Secrets(root)
    corrected, new = [], {}
    for name, coll in COLLECTIONS.items():
        docs = {rid: doc for part in old.get(name, {}).values() for rid, doc in part.items()}
        for rid, doc in logged.get(name, {}).items():
            table_doc = docs.get(rid)
            if doc is not None and table_doc is not None and redacted(coll, table_doc) == doc:
                doc = table_doc  # the same record, with the real values the log shows as digests
            elif doc is not None:
                doc = _keep_values(coll, doc, table_doc)
            if doc != table_doc:
                corrected.append(f"{name}/{rid}")
            if doc is None:
                docs.pop(rid, None)
            else:
                docs[rid] = doc
        for rid, doc in docs.items():
            secrets.append(secrets.lines_for(coll, rid, doc))
            new.setdefault(name, {}).setdefault(coll.doc_partition(doc), {})[rid] = doc
    position = Position.of(head)
    manifest = Manifest(position, {})
    for name, parts in new.items():
        for part, docs in parts.items():
            data, table = encode_table(name, docs, head.seq, head.hash)
            atomic_write(table_path(root, name, part), data)
            manifest.tables[f"{name}/{part}"] = table.listing()
    for name_dir in (root / TABLES).glob("*"):
        for path in name_dir.glob("*.json"):
            if f"{name_dir.name}/{path.stem}" not in manifest.tables:
                path.unlink()
    write_manifest(root, manifest)
    if anchored:
        write_base(root, manifest)
    return {"corrected": sorted(corrected)}


def _keep_values(coll, doc: dict, table_doc: dict | None) -> dict:
    """A logged document whose redacted fields take the table's value (the only one there is)."""
    out = dict(doc)
    for name in coll.redact & doc.keys():
        if str(doc[name]).startswith(PREFIX):
            out[name] = (table_doc or {}).get(name, "")
    return out


def _verified_head(log: ActivityLog) -> Head:
    result = log.verify()
    if not result.ok:
        raise StoreError(
            f"操作日誌驗證失敗（第 {result.line} 行），不升級資料結構",
            f"the activity log does not verify (line {result.line}); not migrated",
        )
    head = log.head()
    head = Head(head.count, head.seq, head.hash, log.size())
    log.write_head(head)
    return head


def _old_tables(root: Path) -> dict[str, dict[str, dict]]:
    """Schema 1's tables (TinyDB files, read with TinyDB): ``{collection: {partition: {id: doc}}}``."""
    out: dict[str, dict[str, dict]] = {}
    for folder in sorted((root / TABLES).glob("*")):
        for path in sorted(folder.glob("*.json")):
            storage = JSONStorage(path, access_mode="r", encoding="utf-8")
            try:
                data = storage.read() or {}
            except ValueError as exc:
                raise StoreError(
                    f"資料檔損毀：{path.name}", f"corrupt data file {path}: {exc}"
                ) from exc
            finally:
                storage.close()
            out.setdefault(folder.name, {})[path.stem] = dict(data.get(folder.name, {}))
    return out


def _replay(log: ActivityLog) -> tuple[dict[str, dict[str, dict | None]], bool]:
    """Each record's last logged document (``None``: deleted), and whether the log was purged."""
    logged: dict[str, dict[str, dict | None]] = {}
    anchored = False
    for number, entry in enumerate(log.entries(), start=1):
        if number == 1 and is_anchor(entry):
            anchored = True
            continue
        name = entry.get("collection")
        if name in COLLECTIONS and entry.get("record") is not None:
            logged.setdefault(name, {})[entry["record"]] = entry.get("after")
    return logged, anchored
