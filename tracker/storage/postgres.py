"""The PostgreSQL store: the folder store's contract over one database several processes share.

Chosen by ``TRACKER_DATABASE_URL`` (:mod:`tracker.storage.backend`); tables in
:mod:`~tracker.storage.pg_schema`, the log in :mod:`~tracker.storage.pg_log`, the
cache in :mod:`~tracker.storage.pg_cache`, the lock in :mod:`~tracker.storage.pg_lock`.

Writing.  :meth:`PgStore.locked` holds the thread lock and, on one pooled
connection, the session advisory lock, so a read-decide-write in one process
never interleaves with another's.  Each change (``put``, ``put_many``,
``delete``, ``record_event``) is one transaction, sent in one round trip, that
takes the same key as a transaction-scoped lock, moves the log head, writes the
records and appends their lines: a committed change has exactly one line each,
in order, and a failed one has none.  Each row has a ``version``; a write names
the one it replaces, so a change made without the lock is a
:class:`~tracker.core.errors.ConflictError`, never a lost update.

Reading.  Records are served from memory.  Every read first compares the log
head with the one last seen (one query) and fetches again the records new lines
name, so a replica sees every change committed before its read.  A record
another process changed after this one served it, written back by a caller that
did not read it again under the lock, is refused with ConflictError.

The data folder (``settings.data_dir``) still holds the query-log files and
trust roots; with several replicas it is a shared folder, like the evidence folder.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

import orjson
import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from tracker.activitylog.chain import Head
from tracker.core.config import Settings
from tracker.core.errors import NotFound, StoreError
from tracker.domain.accounts import NiaAccount
from tracker.domain.audits import SelfAudit
from tracker.domain.evidence import Evidence
from tracker.domain.facts import Facts
from tracker.domain.vendors import Agency, Contract, DedicatedPC, Incident, Vendor, VendorStaff
from tracker.storage import pg_lock, pg_recovery, pg_schema
from tracker.storage.codec import to_doc
from tracker.storage.contract import RecordStore
from tracker.storage.entries import change_entry
from tracker.storage.pg_cache import Cached, CollectionCache, RecordCache, owner_asked, owner_of
from tracker.storage.pg_connect import connect, conninfo, unreachable, write_failed
from tracker.storage.pg_log import PgActivityLog, chain_lines, insert_lines, read_head
from tracker.storage.pg_purge import purge_log
from tracker.storage.pg_verify import MARKER, verify_tail
from tracker.storage.pg_write import Change, StaleReads, conflict_of, write_rows
from tracker.storage.registry import COLLECTIONS, collection_of, redacted

_INTERNAL = {MARKER}  # meta keys the store keeps for itself
_MOVE_HEAD = (
    "WITH moved AS (UPDATE tracker.log_head SET count = %s, seq = %s, hash = %s "
    "WHERE seq = %s AND hash = %s AND epoch = %s RETURNING 1) "
    "SELECT tracker.expect(count(*) = 1, 'log') FROM moved"
)


class PgStore(RecordStore):
    """Thread- and process-safe access to the records of one PostgreSQL database.

    One instance per process (the web app shares it through its resource
    cache); :meth:`close` releases its connections.
    """

    memory = False

    def __init__(self, settings: Settings, *, pool_size: int = 8):
        """Connect to ``settings.database_url``; a new (empty) database gets the tables.

        Raises StoreError when the server cannot be reached, or the database's
        schema is older (run ``python -m tracker store migrate``) or newer than
        this code.
        """
        self.settings = settings
        self.root = settings.data_dir
        self._conninfo, self.where = conninfo(settings.database_url)
        self._lock = threading.RLock()
        self._depth = 0
        self._conn = None  # inside locked(): the connection holding the advisory lock
        self.stale = StaleReads()
        self._verified = None  # where log_intact() last found the log verified, this process
        with connect(self._conninfo, self.where) as conn:
            self.schema = pg_schema.prepare(conn, self.where)
        self._pool = ConnectionPool(
            self._conninfo,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True},
            open=True,
            timeout=30,
            name="tracker",
        )
        # one thread that releases the advisory lock after a locked() block (see pg_lock)
        self._releaser = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tracker-unlock")
        weakref.finalize(self, _shut, self._releaser, self._pool)
        self.log = PgActivityLog(self._pool, self._log_entries, self.purge_log_before)
        with self._pool.connection() as conn:
            self.cache = RecordCache(*read_head(conn))
        self._recovered_at = float("-inf")  # crashed transactions are looked for at the first lock

    @classmethod
    def open(cls, settings: Settings) -> PgStore:
        return cls(settings)

    def close(self) -> None:
        """Release the lock if still held, close the connection pool (the store is unusable after)."""
        _shut(self._releaser, self._pool)

    # --- locking -------------------------------------------------------------

    def locked(self):
        """Hold the thread lock and the database's advisory lock (re-entrant within a thread).

        Inside, reads see every committed change and no other process's
        ``locked()`` block runs.  Raises StoreError when the lock is not
        granted within 30 seconds.
        """
        return pg_lock.StoreLock(self)

    # --- meta ----------------------------------------------------------------

    @property
    def meta(self) -> dict:
        """The store's settings (``schema``, ``created``, ``demo``…), read from the database."""
        with self._connection() as conn:
            rows = conn.execute("SELECT key, value::text FROM tracker.meta").fetchall()
        meta = {key: orjson.loads(value) for key, value in rows if key not in _INTERNAL}
        return meta | {"schema": self.schema}

    def set_meta(self, **values) -> None:
        with self.locked(), self._conn.transaction():
            for key, value in values.items():
                self._conn.execute(
                    "INSERT INTO tracker.meta VALUES (%s, %s::jsonb) "
                    "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                    (key, orjson.dumps(value).decode()),
                )

    # --- reading -------------------------------------------------------------

    def get(self, cls: type, record_id: str):
        """The record of type ``cls`` with ``record_id``, or ``None``."""
        coll = collection_of(cls)
        with self._lock:
            self._fresh()
            self._read(coll.name, {record_id})
            return self._collection(coll.name).get(record_id)

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
        owner = owner_asked(coll, vendor, agency, audit)
        with self._lock:
            self._fresh()
            return self._all(coll.name, owner)

    def facts(self) -> Facts:
        """A snapshot of everything the status engine needs (one look at the log head)."""
        with self._lock:
            self._fresh()
            return Facts(
                agencies=self._every(Agency),
                vendors=self._every(Vendor),
                contracts=self._every(Contract),
                staff=self._every(VendorStaff),
                pcs=self._every(DedicatedPC),
                incidents=self._every(Incident),
                accounts=self._every(NiaAccount),
                audits=self._every(SelfAudit),
                evidence=self._every(Evidence),
            )

    def position(self) -> tuple:
        """``(epoch, last seq)`` after catching up: changes with every committed change."""
        with self._lock:
            self._fresh()
            return (self.cache.epoch, self.cache.head.seq)

    def log_intact(self) -> bool:
        """Whether the log verified up to its end: the lines since this process last looked.

        The first call in a process checks every line (``python -m tracker log
        verify`` always does).
        """
        with self._lock:
            self._fresh()
            result, self._verified = verify_tail(self._pool, self._verified)
            return result.ok

    def recoveries(self) -> list[dict]:
        """Repairs made by the store itself in the last 30 days (see :mod:`~tracker.storage.pg_recovery`)."""
        return pg_recovery.recent(self)

    def note_recovery(self, action: str, details: dict) -> None:
        """Log a repair the store made by itself and keep it for the IT office."""
        pg_recovery.note(self, action, details)

    def log_end(self) -> dict:
        """Where the log ends now (the caller holds the lock); a transaction's intent records it."""
        return {"seq": self.cache.head.seq}

    def log_since(self, position: dict) -> bytes:
        """The lines written after ``position`` (from :meth:`log_end`), as stored."""
        return self.log.since(int(position.get("seq", 0)))

    def _every(self, cls: type) -> tuple:
        return tuple(self._all(collection_of(cls).name))

    def _all(self, name: str, owner=None) -> list:
        records = self._collection(name).all(owner)
        if self._depth and name in self.stale.changed:
            self._read(name, {r.id for r in records} if owner is not None else None)
        return records

    # --- writing -------------------------------------------------------------

    def put_many(self, records: Iterable, *, actor: str, action: str) -> None:
        """Write several records as one transaction: one log line each, all or none.

        A record listed twice keeps its last version.  Raises ConflictError (nothing
        written) when another process changed one of them since it was read.
        """
        with self.locked():
            latest: dict[tuple[str, str], object] = {}
            for record in records:
                latest[(collection_of(record).name, record.id)] = record
            entries, changes = [], []
            for (name, record_id), record in latest.items():
                coll = COLLECTIONS[name]
                cache = self._collection(name)
                self.stale.refuse(name, record_id)
                before = cache.get(record_id)
                after = to_doc(record)
                entries.append(
                    change_entry(
                        actor,
                        action,
                        name,
                        record_id,
                        redacted(coll, to_doc(before)) if before is not None else None,
                        redacted(coll, after),
                    )
                )
                changes.append(
                    Change(
                        name,
                        record_id,
                        cache.version(record_id),
                        owner_of(coll, record),
                        after,
                        record,
                    )
                )
            self._commit(entries, changes)

    def delete(self, cls: type, record_id: str, *, actor: str, action: str) -> None:
        """Remove one record (callers enforce retention rules first)."""
        coll = collection_of(cls)
        with self.locked():
            cache = self._collection(coll.name)
            before = cache.get(record_id)
            if before is None:
                raise NotFound(f"找不到 {record_id}", f"no {cls.__name__} with id {record_id}")
            self.stale.refuse(coll.name, record_id)
            entry = change_entry(
                actor, action, coll.name, record_id, redacted(coll, to_doc(before)), None
            )
            change = Change(coll.name, record_id, cache.version(record_id), None, None, None)
            self._commit([entry], [change])

    def record_event(self, *, actor: str, action: str, details: dict | None = None) -> dict:
        """Log something that changes no record (a sign-in, an export, a failed attempt)."""
        return self._log_entries([change_entry(actor, action, None, None, None, details)])[0]

    def purge_log_before(self, before, *, actor: str, now):
        """The retention purge of the log (see :mod:`tracker.storage.pg_purge`); the plan or ``None``."""
        return purge_log(self, before, actor=actor, now=now)

    def _log_entries(self, entries: list[dict]) -> list[dict]:
        with self.locked():
            return self._commit(entries, [])

    def _commit(self, entries: list[dict], changes: list[Change]) -> list[dict]:
        """One transaction, sent in one round trip: move the head, write the rows, append the lines.

        The caller holds the lock.  The server checks the head and every row's
        version itself (``tracker.expect``), so a refused change aborts there;
        the statements after it and the COMMIT are then skipped, and the
        transaction is rolled back.
        """
        head, epoch = self.cache.head, self.cache.epoch
        lines = chain_lines(entries, head)
        new = Head(head.count + len(lines), lines[-1][0]["seq"], lines[-1][0]["hash"])
        conn = self._conn
        try:
            # BEGIN and COMMIT by hand: conn.transaction() would wait for each of them
            with conn.pipeline():
                conn.execute("BEGIN")
                pg_lock.lock_transaction(conn)
                conn.execute(_MOVE_HEAD, (new.count, new.seq, new.hash, head.seq, head.hash, epoch))
                seqs = [line["seq"] for line, _ in lines][: len(changes)]
                versions = write_rows(conn, changes, seqs)
                insert_lines(conn, lines)
                conn.execute("COMMIT")
        except psycopg.Error as exc:
            _roll_back(conn)
            self.cache.forget(conn)
            conflict = conflict_of(exc)
            if conflict is not None:
                raise conflict from exc
            raise write_failed(exc, self.where, conn.broken) from exc
        for change, version in zip(changes, versions, strict=True):
            item = (
                None
                if change.record is None
                else Cached(change.record, None, version, change.owner)
            )
            self.cache.committed(new, change.collection, change.record_id, item)
        self.cache.head = new
        return [line for line, _ in lines]

    # --- cache and catching up -------------------------------------------------

    def _connection(self):
        """The locked connection inside :meth:`locked` (same thread), else one from the pool."""
        if self._conn is not None and self._depth:
            return pg_lock.Borrowed(self._conn)
        try:
            return self._pool.connection()
        except PoolTimeout as exc:
            raise StoreError(
                f"無法連線資料庫 {self.where}", f"no database connection: {exc}"
            ) from exc

    def _fresh(self) -> None:
        """Catch up with other processes' changes, unless inside the lock (caught up on entry)."""
        if self._depth:
            return
        try:
            with self._connection() as conn:
                self.cache.catch_up(conn)
        except psycopg.OperationalError as exc:
            raise unreachable(exc, self.where) from exc

    def _collection(self, name: str) -> CollectionCache:
        if self.cache.loaded(name):
            return self.cache.collections[name]
        with self._connection() as conn:
            return self.cache.collection(conn, name)

    def _read(self, name: str, ids: set[str] | None) -> None:
        """Inside the lock, ``ids`` of ``name`` (``None``: all) were read after catching up."""
        if self._depth:
            self.stale.read(name, ids)


def _roll_back(conn: psycopg.Connection) -> None:
    """End a transaction a failed pipeline left open (aborted), if the connection still works."""
    if conn.broken or conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
        return
    try:
        conn.execute("ROLLBACK")
    except psycopg.Error:
        conn.close()  # the pool discards it; the server ends the transaction with the session


def _shut(releaser: ThreadPoolExecutor, pool: ConnectionPool) -> None:
    releaser.shutdown(wait=True)  # pending unlocks first: they give their connection back
    pool.close()
