"""The folder store: domain records kept in small TinyDB tables, safe for threads and processes.

Reads are served from memory.  Every change is appended to the activity log before its table is
written, so the log doubles as the change feed: each read stats the log (one system call); when it
grew because another process wrote, the new lines name the collections and records changed, and
only their partition files are re-read.  Writes take :class:`~tracker.storage.locks.StoreLock`,
append to the activity log first (write-ahead, fsynced), then replace the partition file atomically
(:mod:`tracker.storage.tables`).  The store hands out frozen domain records, never TinyDB documents.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable

import orjson
from filelock import FileLock

from tracker.activitylog.log import ActivityLog, MemoryActivityLog
from tracker.core import clock
from tracker.core.config import Settings
from tracker.core.errors import NotFound, StoreError
from tracker.core.fileio import atomic_write
from tracker.domain.accounts import NiaAccount
from tracker.domain.audits import SelfAudit
from tracker.domain.evidence import Evidence
from tracker.domain.facts import Facts
from tracker.domain.vendors import Agency, Contract, DedicatedPC, Incident, Vendor, VendorStaff
from tracker.storage import migrations
from tracker.storage.codec import from_doc, to_doc
from tracker.storage.entries import change_entry
from tracker.storage.locks import StoreLock
from tracker.storage.registry import (
    COLLECTIONS,
    Collection,
    audit_part,
    collection_of,
    parts_for,
    redacted,
)
from tracker.storage.tables import Partition, open_partition

SYSTEM = "system"


class Store:
    """Thread- and process-safe access to the records of one data folder.

    One instance per process (the web app shares it through its resource
    cache).  ``Store.in_memory()`` gives the same behaviour with nothing on disk.
    """

    def __init__(
        self,
        settings: Settings | None,
        *,
        memory: bool = False,
        durable: bool = True,
        upgrading: bool = False,
    ):
        """Open the data folder of ``settings`` (``memory``: nothing on disk).

        An older schema is refused with StoreError naming the upgrade, unless
        ``upgrading`` (used only by :func:`tracker.ops.upgrade.upgrade`).
        """
        self._upgrading = upgrading
        self.settings = settings
        self.memory = memory
        self.durable = durable
        self._lock = threading.RLock()
        self._parts: dict[str, dict[str, Partition]] = {}
        self._index: dict[str, dict[str, str]] = {}  # collection -> id -> partition
        self._log_pos: tuple[int, int] = (0, 0)  # (inode, size) of the activity log last seen
        self._chain_state = None  # how far log_intact() has verified the log
        if memory:
            self.log: ActivityLog = MemoryActivityLog()
            self._flock = None
            self._meta = {"schema": migrations.SCHEMA_VERSION}
            return
        self.root = settings.data_dir
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "tables").mkdir(exist_ok=True)
        self._flock = FileLock(str(self.root / ".lock"), timeout=30, thread_local=False)
        self.log = ActivityLog(self.root)
        with self.locked():
            self._meta = self._open_meta()
            if self.log.recover_interrupted_append():
                self._log(SYSTEM, "log_head_recovered", None, None, None, None)
            self._log_pos = self._log_signature()

    @classmethod
    def open(cls, settings: Settings) -> Store:
        return cls(settings)

    @classmethod
    def in_memory(cls) -> Store:
        return cls(None, memory=True)

    # --- locking -------------------------------------------------------------

    def locked(self):
        """Context manager holding the thread lock and the cross-process file lock."""
        return StoreLock(self)

    # --- meta ----------------------------------------------------------------

    def _open_meta(self) -> dict:
        path = self.root / "meta.json"
        version = migrations.folder_schema(self.root)
        if version is None:
            meta = {
                "schema": migrations.SCHEMA_VERSION,
                "created": clock.now().isoformat(),
                "demo": False,
            }
            atomic_write(path, orjson.dumps(meta))
            return meta
        migrations.refuse_unknown(version)
        if version < migrations.SCHEMA_VERSION and not self._upgrading:
            raise StoreError(
                "資料夾的資料結構較舊，請先執行 python -m tracker store migrate",
                f"data folder has schema {version}; run python -m tracker store migrate",
            )
        return orjson.loads(path.read_bytes())

    def adopt_meta(self, meta: dict) -> None:
        """Take ``meta`` as written by a migration step (the upgrade holds the lock)."""
        self._meta = dict(meta)

    @property
    def meta(self) -> dict:
        return dict(self._meta)

    def set_meta(self, **values) -> None:
        with self.locked():
            self._meta.update(values)
            if not self.memory:
                atomic_write(self.root / "meta.json", orjson.dumps(self._meta))

    # --- reading -------------------------------------------------------------

    def get(self, cls: type, record_id: str):
        """The record of type ``cls`` with ``record_id``, or ``None``."""
        coll = collection_of(cls)
        with self._lock:
            self._refresh()
            part_name = self._ids(coll.name).get(record_id)
            if part_name is None:
                return None
            return self._decoded(coll, self._parts[coll.name][part_name], record_id)

    def require(self, cls: type, record_id: str):
        """Like :meth:`get` but raises :class:`NotFound`."""
        record = self.get(cls, record_id)
        if record is None:
            raise NotFound(f"找不到 {record_id}", f"no {cls.__name__} with id {record_id}")
        return record

    def all(
        self,
        cls: type,
        *,
        vendor: str | None = None,
        agency: str | None = None,
        audit: str | None = None,
    ) -> list:
        """Every record of ``cls``; only one vendor's, agency's (or one audit's) when given.

        ``None`` means no filter.  Raises ValueError when the collection is not
        kept by what was asked (e.g. vendors by agency).
        """
        coll = collection_of(cls)
        with self._lock:
            self._refresh()
            self._ids(coll.name)
            parts = self._parts[coll.name]
            if vendor is None and agency is None:
                names = list(parts)
            elif audit is not None:
                names = [audit_part(agency, audit)]
            else:
                names = parts_for(coll.owner, vendor=vendor, agency=agency)
            out: list = []
            for name in names:
                part = parts.get(name)
                if part is not None:
                    out.extend(self._all_decoded(coll, part))
            return out

    def facts(self) -> Facts:
        """A snapshot of everything the status engine needs."""
        return Facts(
            agencies=tuple(self.all(Agency)),
            vendors=tuple(self.all(Vendor)),
            contracts=tuple(self.all(Contract)),
            staff=tuple(self.all(VendorStaff)),
            pcs=tuple(self.all(DedicatedPC)),
            incidents=tuple(self.all(Incident)),
            accounts=tuple(self.all(NiaAccount)),
            audits=tuple(self.all(SelfAudit)),
            evidence=tuple(self.all(Evidence)),
        )

    def position(self) -> tuple:
        """A value that changes with every acknowledged change (caches key on it)."""
        with self._lock:
            self._refresh()
            return self._log_signature() if not self.memory else (0, self.log.head().seq)

    def log_intact(self) -> bool:
        """Whether the activity log verifies; after the first full check only new lines are checked."""
        with self.locked():
            if self.memory:
                return self.log.verify().ok
            result, self._chain_state = self.log.verify_incremental(self._chain_state)
            return result.ok

    def _decoded(self, coll: Collection, part: Partition, record_id: str):
        obj = part.objects.get(record_id)
        if obj is None:
            doc = part.table.raw().get(record_id)
            if doc is None:
                return None
            obj = part.objects[record_id] = from_doc(coll.cls, doc)
        return obj

    def _all_decoded(self, coll: Collection, part: Partition) -> list:
        if not part.complete:
            for record_id, doc in part.table.raw().items():
                if record_id not in part.objects:
                    part.objects[record_id] = from_doc(coll.cls, doc)
            part.complete = True
        return list(part.objects.values())

    # --- writing -------------------------------------------------------------

    def put(self, record, *, actor: str, action: str) -> object:
        """Insert or replace ``record`` and log the change with its before and after."""
        self.put_many([record], actor=actor, action=action)
        return record

    def put_many(self, records: Iterable, *, actor: str, action: str) -> None:
        """Write several records under one lock.

        All log lines go out in one append; each partition file touched is then
        replaced once, atomically.  A record listed twice keeps its last version.
        """
        with self.locked():
            latest: dict[tuple[str, str], object] = {}
            for record in records:
                latest[(collection_of(record).name, record.id)] = record
            entries, writes = [], {}
            for (name, record_id), record in latest.items():
                coll = COLLECTIONS[name]
                before = self.get(coll.cls, record_id)
                after = to_doc(record)
                before_doc = redacted(coll, to_doc(before)) if before else None
                entries.append(
                    change_entry(actor, action, name, record_id, before_doc, redacted(coll, after))
                )
                writes.setdefault((name, coll.partition(record)), []).append(
                    (record_id, after, record)
                )
            self.log.append_many(entries)
            for (name, part_name), items in writes.items():
                self._write(COLLECTIONS[name], part_name, items)
            self._log_pos = self._log_signature()

    def delete(self, cls: type, record_id: str, *, actor: str, action: str) -> None:
        """Remove one record (callers enforce retention rules first)."""
        coll = collection_of(cls)
        with self.locked():
            before = self.get(cls, record_id)
            if before is None:
                raise NotFound(f"找不到 {record_id}", f"no {cls.__name__} with id {record_id}")
            self._log(actor, action, coll.name, record_id, redacted(coll, to_doc(before)), None)
            part = self._partition(coll.name, self._index[coll.name][record_id])
            part.table.drop(record_id)
            part.objects.pop(record_id, None)
            del self._index[coll.name][record_id]
            self._log_pos = self._log_signature()

    def record_event(self, *, actor: str, action: str, details: dict | None = None) -> dict:
        """Log something that changes no record (a sign-in, an export, a failed attempt)."""
        with self.locked():
            line = self._log(actor, action, None, None, None, details)
            self._log_pos = self._log_signature()
            return line

    def _log(self, actor, action, collection, record_id, before, after) -> dict:
        return self.log.append(change_entry(actor, action, collection, record_id, before, after))

    def _write(
        self, coll: Collection, part_name: str, items: list[tuple[str, dict, object]]
    ) -> None:
        """Put ``(id, doc, record)`` items into one partition with a single file replace."""
        index = self._index[coll.name]
        for record_id, _doc, _record in items:
            old_part = index.get(record_id)
            if old_part is not None and old_part != part_name:
                old = self._partition(coll.name, old_part)
                old.table.drop(record_id)
                old.objects.pop(record_id, None)
        part = self._partition(coll.name, part_name)
        part.table.put_all({record_id: doc for record_id, doc, _ in items})
        for record_id, _doc, record in items:
            part.objects[record_id] = record
            index[record_id] = part_name

    # --- partitions, caching and change detection ---------------------------

    def _ids(self, name: str) -> dict[str, str]:
        """The id → partition index of a collection, loading the collection on first use."""
        index = self._index.get(name)
        if index is None:
            self._parts[name] = {}
            index = self._index[name] = {}
            if not self.memory:
                folder = self.root / "tables" / name
                for path in sorted(folder.glob("*.json")) if folder.exists() else ():
                    self._load_partition(name, path.stem)
        return index

    def _partition(self, name: str, part_name: str) -> Partition:
        self._ids(name)
        part = self._parts[name].get(part_name)
        return part if part is not None else self._load_partition(name, part_name)

    def _load_partition(self, name: str, part_name: str) -> Partition:
        path = None if self.memory else self.root / "tables" / name / f"{part_name}.json"
        part = open_partition(path, name, self.durable)
        self._parts[name][part_name] = part
        for record_id in part.table.raw():
            self._index[name][record_id] = part_name
        return part

    def _refresh(self) -> None:
        """Re-read what another process changed since we last looked (see the module docstring)."""
        if self.memory:
            return
        seen = self._log_pos
        current = self._log_signature()
        if current == seen:
            return
        if current[0] != seen[0] or current[1] < seen[1]:
            self._reload_all()  # the log was replaced (a purge) or is new to us
        else:
            self._reload_from_log(seen[1])
        self._log_pos = current

    def _log_signature(self) -> tuple[int, int]:
        if self.memory:
            return (0, 0)
        try:
            st = os.stat(self.log.path)
        except FileNotFoundError:
            return (0, 0)
        return (st.st_ino, st.st_size)

    def _reload_all(self) -> None:
        self._parts.clear()
        self._index.clear()

    def _reload_from_log(self, offset: int) -> None:
        """Drop the cached partitions that the log lines after ``offset`` say were changed."""
        with self.log.path.open("rb") as fh:
            fh.seek(offset)
            tail = fh.read()
        for raw in tail.splitlines():
            try:
                entry = orjson.loads(raw)
            except orjson.JSONDecodeError:
                self._reload_all()
                return
            name = entry.get("collection")
            if name in self._index:
                self._forget(name, entry.get("record"), entry.get("after"))

    def _forget(self, name: str, record_id: str | None, after: dict | None) -> None:
        parts = {self._index[name].get(record_id)}
        coll = COLLECTIONS.get(name)
        if after is not None and coll is not None:
            try:
                parts.add(coll.partition(from_doc(coll.cls, after)))
            except (TypeError, ValueError, KeyError):
                self._parts.pop(name, None)  # forget the whole collection
                self._index.pop(name, None)
                return
        for part_name in parts - {None}:
            part = self._parts[name].pop(part_name, None)
            if part is not None:
                for rid in list(part.table.raw()):
                    if self._index[name].get(rid) == part_name:
                        del self._index[name][rid]
            path = self.root / "tables" / name / f"{part_name}.json"
            if path.exists():
                self._load_partition(name, part_name)
