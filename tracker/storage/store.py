"""The folder store: domain records whose commit record is the activity log, safe for threads and processes.

Layout of the data folder::

    meta.json                        schema version and flags (demo data…), recent recoveries
    activity-log.jsonl               the hash-chained activity log: every change, with the record after it
    activity-log.head.json           the log's head (tracker.activitylog.log)
    secrets.jsonl                    values of redacted fields (tracker.storage.secrets)
    checkpoint.json                  where the table files stand (tracker.storage.checkpoint)
    tables/<collection>/<part>.json  one checkpoint table per partition of a collection
    base.json, base-<seq>/           the base snapshot a retention purge writes first
    pending/                         open transactions' intents (tracker.storage.staging)
    .lock                            the cross-process write lock

A change is one fsynced append to the activity log (with the full document
after it) and nothing else: it is acknowledged when that append returns, and
a failed append changes nothing.  Memory is then updated; table files are
checkpoints written when the log has grown by :attr:`Store.CHECKPOINT_LINES`
lines or :attr:`Store.CHECKPOINT_BYTES` since the last one (or by ``store
rebuild``, a backup, a purge): fewer checkpoints rewrite a table once for many
changes, at the cost of a longer tail to replay when a process opens the folder.  Opening checks the head,
the checkpoint and the tables against the log and replays the lines after the
checkpoint (:mod:`tracker.storage.replay`, :mod:`tracker.storage.recovery`);
reads catch up from the log tail first, so no process answers from stale data.

This module hands out frozen domain records, never stored documents.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime, timedelta

import orjson
from filelock import FileLock

from tracker.activitylog.chain import Head
from tracker.activitylog.log import ActivityLog, MemoryActivityLog
from tracker.core import clock
from tracker.core.config import Settings
from tracker.core.errors import IntegrityError, NotFound, StoreError, os_failure
from tracker.core.fileio import atomic_write
from tracker.domain.accounts import NiaAccount
from tracker.domain.audits import SelfAudit
from tracker.domain.evidence import Evidence
from tracker.domain.facts import Facts
from tracker.domain.vendors import Agency, Contract, DedicatedPC, Incident, Vendor, VendorStaff
from tracker.storage import migrations, recovery
from tracker.storage.checkpoint import Position
from tracker.storage.codec import to_doc
from tracker.storage.contract import RecordStore
from tracker.storage.locking import Locked, acquire
from tracker.storage.purging import purge_log
from tracker.storage.rebuild import rebuild_all
from tracker.storage.registry import COLLECTIONS, audit_part, collection_of, parts_for, redacted
from tracker.storage.replay import FolderView
from tracker.storage.secrets import Secrets

SYSTEM = "system"
RECOVERIES_SHOWN_DAYS = 30


class Store(RecordStore):
    """The records of one data folder (or of memory only: ``Store.in_memory()``).

    One instance per process (the web app shares it through its resource cache).
    """

    CHECKPOINT_LINES = 4000
    CHECKPOINT_BYTES = 16 * 1024 * 1024

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
        ``upgrading`` (used only by :func:`tracker.ops.upgrade.upgrade`, which
        then runs the migration steps and :meth:`reopen`).  Raises
        IntegrityError when the folder does not match its log.
        """
        self.settings = settings
        self.memory = memory
        self.durable = durable
        self._lock = threading.RLock()
        self._depth = 0
        self._opened = False  # False only while an older schema waits for its migration
        self._flock = None
        self.root = None if memory else settings.data_dir
        self.log = MemoryActivityLog() if memory else ActivityLog(self.root)
        self.secrets = Secrets(self.root)
        self.view = FolderView(self.root, self.log, self.secrets, self._repair)
        if memory:
            self._meta = {"schema": migrations.SCHEMA_VERSION}
            self._opened = True
            return
        self.root.mkdir(parents=True, exist_ok=True)
        self._flock = FileLock(str(self.root / ".lock"), timeout=30, thread_local=False)
        with self._lock:
            self._acquire_file_lock()
            try:
                self._meta = recovery.open_meta(self, upgrading)
                if not (upgrading and self._meta["schema"] < migrations.SCHEMA_VERSION):
                    self._depth += 1
                    try:
                        recovery.open_folder(self)
                    finally:
                        self._depth -= 1
            finally:
                self._flock.release()

    @classmethod
    def open(cls, settings: Settings) -> Store:
        return cls(settings)

    @classmethod
    def in_memory(cls) -> Store:
        return cls(None, memory=True)

    def reopen(self) -> None:
        """Read the folder afresh (after a migration step or a purge rewrote it); the caller holds the lock."""
        with self.locked():
            recovery.open_folder(self)

    # --- locking -------------------------------------------------------------

    def locked(self):
        """Hold the thread lock and the cross-process file lock (re-entrant within a thread)."""
        return Locked(self)

    def _acquire_file_lock(self) -> None:
        acquire(self._flock)

    # --- meta ----------------------------------------------------------------

    def adopt_meta(self, meta: dict) -> None:
        """Take ``meta`` as written by a migration step (the upgrade holds the lock)."""
        self._meta = dict(meta)

    @property
    def meta(self) -> dict:
        return dict(self._meta)

    def set_meta(self, **values) -> None:
        with self.locked():
            meta = dict(self._meta, **values)
            if not self.memory:
                try:
                    atomic_write(self.root / "meta.json", orjson.dumps(meta))
                except OSError as exc:
                    raise os_failure(exc, "寫入設定", "writing meta.json") from exc
            self._meta = meta

    # --- reading -------------------------------------------------------------

    def get(self, cls: type, record_id: str):
        """See :meth:`RecordStore.get`."""
        coll = collection_of(cls)
        with self._lock:
            self._catch_up()
            return self.view.records(coll).get(record_id)

    def all(
        self,
        cls: type,
        *,
        vendor: str | None = None,
        agency: str | None = None,
        audit: str | None = None,
    ) -> list:
        """See :meth:`RecordStore.all`."""
        coll = collection_of(cls)
        with self._lock:
            self._catch_up()
            records = self.view.records(coll)
            if vendor is None and agency is None:
                return records.all()
            if audit is not None:
                return records.all([audit_part(agency, audit)])
            return records.all(parts_for(coll.owner, vendor=vendor, agency=agency))

    def facts(self) -> Facts:
        """A snapshot of everything the status engine needs."""
        with self._lock:
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
        """``(log file id, last seq)`` after catching up: changes with every acknowledged change."""
        with self._lock:
            self._catch_up()
            return (self.view.inode, self.view.end.seq)

    def log_intact(self) -> bool:
        """Whether the log verified from the last checkpoint to its end (a full check: ``log verify``)."""
        if self.memory:
            return self.log.verify().ok
        try:
            with self._lock:
                self._catch_up()
        except IntegrityError:
            return False
        return True

    def log_end(self) -> dict:
        """Where the log ends now (the caller holds the lock); a transaction's intent records it."""
        end = self.view.end
        return {"offset": end.offset, "seq": end.seq}

    def log_since(self, position: dict) -> bytes:
        """The lines written after ``position`` (from :meth:`log_end`), as stored."""
        return self.log.read(int(position.get("offset", 0)), self.view.end.offset)

    def recoveries(self) -> list[dict]:
        """Repairs made by the store itself in the last 30 days (newest last), kept in ``meta.json``."""
        since = (clock.now() - timedelta(days=RECOVERIES_SHOWN_DAYS)).isoformat(timespec="seconds")
        return [r for r in self._meta.get("recoveries", []) if _instant(r.get("at")) >= since]

    def _catch_up(self) -> None:
        if not self._opened:
            raise StoreError(
                "資料夾的資料結構較舊，請先執行 python -m tracker store migrate",
                "the data folder's schema is older; run python -m tracker store migrate",
            )
        if self.memory or self._depth:
            return  # under the lock the view was brought up to date on entry
        if self.view.replaced():
            with self.locked():
                return
        try:
            self.view.catch_up()
        except IntegrityError:
            with self.locked():  # a head read while a writer rewrote it: look again, alone
                pass
        if len(self.view.tail) > 2 * self.CHECKPOINT_LINES:
            self.view.adopt_newer_checkpoint()

    # --- writing -------------------------------------------------------------

    def put_many(self, records: Iterable, *, actor: str, action: str) -> None:
        """Write several records as one change: all log lines in one fsynced append, or nothing.

        A record listed twice keeps its last version.  Raises StoreError (with
        nothing changed) when the log cannot be written.
        """
        with self.locked():
            latest: dict[tuple[str, str], object] = {}
            for record in records:
                latest[(collection_of(record).name, record.id)] = record
            entries, changes, secrets = [], [], []
            for (name, record_id), record in latest.items():
                coll = COLLECTIONS[name]
                before = self.view.records(coll).doc(record_id)
                after = to_doc(record)
                entries.append(
                    _entry(
                        actor,
                        action,
                        name,
                        record_id,
                        redacted(coll, before),
                        redacted(coll, after),
                    )
                )
                changes.append((coll, record_id, after, record))
                secrets += self.secrets.lines_for(coll, record_id, after)
            self._commit(entries, changes, secrets)

    def delete(self, cls: type, record_id: str, *, actor: str, action: str) -> None:
        """Remove one record (callers enforce retention rules first)."""
        coll = collection_of(cls)
        with self.locked():
            before = self.view.records(coll).doc(record_id)
            if before is None:
                raise NotFound(f"找不到 {record_id}", f"no {cls.__name__} with id {record_id}")
            entry = _entry(actor, action, coll.name, record_id, redacted(coll, before), None)
            self._commit([entry], [(coll, record_id, None, None)], [])

    def record_event(self, *, actor: str, action: str, details: dict | None = None) -> dict:
        """Log something that changes no record (a sign-in, an export, a failed attempt)."""
        with self.locked():
            entry = _entry(actor, action, None, None, None, details)
            return self._commit([entry], [(None, None, None, None)], [])[0]

    def _commit(self, entries: list[dict], changes: list, secrets: list[bytes]) -> list[dict]:
        """Append ``entries`` (the commit), then apply ``changes`` to memory; the caller holds the lock."""
        end = self.view.end
        head = Head(end.count, end.seq, end.hash, end.offset)
        if self.memory:
            head = self.log.head()
        try:
            self.secrets.append(secrets)
            lines, new = self.log.append(entries, head)
        except OSError as exc:
            raise os_failure(exc, "寫入操作日誌", "writing the activity log") from exc
        size = (new.size or 0) - (head.size or 0)
        self.view.committed(lines, Position.of(new), size, changes)
        if not self.memory and self.view.due(self.CHECKPOINT_LINES, self.CHECKPOINT_BYTES):
            self.checkpoint(quiet=True)
        return lines

    def checkpoint(self, *, quiet: bool = False) -> None:
        """Write the tables changed since the last checkpoint (nothing to do in memory).

        With ``quiet`` an OSError is swallowed: the change that triggered it is
        already durable in the log, and the next checkpoint writes the tables.
        """
        if self.memory:
            return
        with self.locked():
            try:
                self.view.checkpoint(durable=self.durable)
            except OSError as exc:
                if not quiet:
                    raise os_failure(exc, "寫入資料表", "writing the tables") from exc

    def rebuild(self, *, actor: str = SYSTEM) -> dict:
        """Rewrite every table from the log (``store rebuild``); logged; returns counts."""
        if self.memory:
            return {"tables": 0, "records": 0, "seq": self.log.head().seq}
        with self.locked():
            end = self.view.end
            missing = rebuild_all(self, end)
            self.view.open(end)
            tables = len(self.view.manifest.tables)
            records = sum(len(self.view.records(c).index) for c in COLLECTIONS.values())
            summary = {"tables": tables, "records": records, "seq": end.seq}
            if missing:
                summary["values_not_restored"] = missing
            self.record_event(actor=actor, action="store_rebuilt", details=summary)
            return summary

    def purge_log_before(self, before, *, actor: str, now):
        """The retention purge of the log (see :mod:`tracker.storage.purging`); returns the plan or ``None``."""
        return purge_log(self, before, actor=actor, now=now)

    def _repair(self, coll, records, damaged) -> None:
        with self.locked():
            recovery.repair_tables(self, coll, records, damaged)

    def note_recovery(self, action: str, details: dict) -> None:
        """Log a repair the store made by itself and keep it in ``meta.json`` for the IT office."""
        line = self.record_event(actor=SYSTEM, action=action, details=details)
        kept = [
            *self._meta.get("recoveries", []),
            {"at": line["at"], "action": action, "details": details},
        ]
        self.set_meta(recoveries=kept[-20:])


def _instant(at) -> str:
    """An ISO instant comparable as text with another in Taipei time (``""`` when unreadable)."""
    try:
        return datetime.fromisoformat(at).astimezone(clock.TAIPEI).isoformat(timespec="seconds")
    except (TypeError, ValueError):
        return ""


def _entry(actor, action, collection, record_id, before, after) -> dict:
    return {
        "at": clock.now().isoformat(timespec="seconds"),
        "actor": actor,
        "action": action,
        "collection": collection,
        "record": record_id,
        "before": before,
        "after": after,
    }
