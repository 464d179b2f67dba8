"""What a PostgreSQL store keeps in memory: each collection's records, their versions and owners.

A collection is loaded whole on first use (as the folder store loads a
collection's partitions) and kept up to date from the activity log
(:meth:`RecordCache.catch_up`): only the records the new log lines name are
fetched again.  Documents are decoded into
domain records on first use.  The owner of a record is the triple
``(vendor, agency, audit)`` that the ``tracker.records`` columns hold —
:func:`owner_of` is the SQL spelling of :func:`tracker.storage.registry.partition_of`,
and :func:`owner_asked` that of :func:`tracker.storage.registry.parts_for`.
Not thread-safe by itself: the store holds its lock.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager

import orjson
import psycopg

from tracker.activitylog.chain import GENESIS, Head
from tracker.storage.codec import from_doc
from tracker.storage.pg_log import read_head
from tracker.storage.registry import COLLECTIONS, Collection, Owner, parts_for

OwnerKey = tuple[str | None, str | None, str | None]  # (vendor, agency, audit)
NOBODY: OwnerKey = (None, None, None)


def owner_of(coll: Collection, record) -> OwnerKey:
    """Whose records ``record`` is among, by its collection's owner (see the module docstring)."""
    owner = coll.owner
    if owner is Owner.VENDOR:
        return (record.vendor_id, None, None)
    if owner is Owner.AGENCY:
        return (None, record.agency_id, None)
    if owner is Owner.VENDOR_OR_AGENCY:
        return (
            (record.vendor_id, None, None) if record.vendor_id else (None, record.agency_id, None)
        )
    if owner is Owner.AUDIT:
        return (None, record.agency_id, record.audit_id)
    return NOBODY


def owner_asked(
    coll: Collection, vendor: str | None, agency: str | None, audit: str | None
) -> OwnerKey | None:
    """The owner ``store.all(cls, vendor=, agency=, audit=)`` asks for; ``None`` for every record.

    Raises ValueError when the collection is not split by what was asked, as
    the folder store does.
    """
    if vendor is None and agency is None:
        return None
    if audit is not None:
        return (None, agency, audit)
    parts_for(coll.owner, vendor=vendor, agency=agency)  # the same refusal as the folder's
    if vendor is not None and coll.owner in (Owner.VENDOR, Owner.VENDOR_OR_AGENCY):
        return (vendor, None, None)
    return (None, agency, None)


class Cached:
    """One record as cached: decoded (``record``) or still its JSON text, its version and owner."""

    __slots__ = ("record", "text", "version", "owner")

    def __init__(self, record, text: str | None, version: int, owner: OwnerKey):
        self.record, self.text, self.version, self.owner = record, text, version, owner


class CollectionCache:
    """The records of one collection, by id and by owner."""

    def __init__(self, coll: Collection):
        self.coll = coll
        self.items: dict[str, Cached] = {}
        self.by_owner: dict[OwnerKey, dict[str, None]] = {}

    def load(self, rows) -> None:
        """Take ``(id, vendor, agency, audit, version, document text)`` rows from the database."""
        for record_id, vendor, agency, audit, version, text in rows:
            self.put(record_id, Cached(None, text, version, (vendor, agency, audit)))

    def put(self, record_id: str, item: Cached) -> None:
        old = self.items.get(record_id)
        if old is not None and old.owner != item.owner:
            self.by_owner[old.owner].pop(record_id, None)
        self.items[record_id] = item
        self.by_owner.setdefault(item.owner, {})[record_id] = None

    def drop(self, record_id: str) -> None:
        old = self.items.pop(record_id, None)
        if old is not None:
            self.by_owner[old.owner].pop(record_id, None)

    def version(self, record_id: str) -> int | None:
        item = self.items.get(record_id)
        return item.version if item is not None else None

    def get(self, record_id: str):
        item = self.items.get(record_id)
        return None if item is None else self._decoded(item)

    def all(self, owner: OwnerKey | None) -> list:
        items = (
            self.items.values()
            if owner is None
            else map(self.items.get, self.by_owner.get(owner, {}))
        )
        items = list(items)
        undecoded = sum(1 for item in items if item.record is None)
        if undecoded < BULK:
            return [self._decoded(item) for item in items]
        with _bulk():
            return [self._decoded(item) for item in items]

    def _decoded(self, item: Cached):
        if item.record is None:
            item.record = from_doc(self.coll.cls, orjson.loads(item.text))
            item.text = None
        return item.record


BULK = 5000  # records decoded in one go from which the collector is held back (see _bulk)


@contextmanager
def _bulk():
    """Decoding many records at once: no collection meanwhile, and the result kept out of later ones.

    A collection at L holds about a million live objects, and the cyclic
    collector would traverse all of them several times while they are made
    (seconds, for nothing: records hold no cycles).  Afterwards ``gc.freeze``
    moves them out of the collector's generations; refcounting still frees a
    record when the cache drops it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


_ROWS = (
    "SELECT id, vendor, agency, audit, version, coalesce(doc::text, doc_text) "
    "FROM tracker.records WHERE collection = %s"
)
RELOAD_AT = 2000  # more changed records than this in one collection: reload it whole


class RecordCache:
    """Every collection loaded so far, and the log position (head, epoch) they reflect."""

    def __init__(self, head: Head, epoch: int):
        self.collections: dict[str, CollectionCache] = {}
        self.head, self.epoch = head, epoch

    def collection(self, conn, name: str) -> CollectionCache:
        """The cache of collection ``name``, loaded whole through ``conn`` on first use."""
        cache = self.collections.get(name)
        if cache is None:
            cache = CollectionCache(COLLECTIONS[name])
            cache.load(conn.execute(_ROWS + " ORDER BY id", (name,)).fetchall())
            self.collections[name] = cache
        return cache

    def loaded(self, name: str) -> bool:
        return name in self.collections

    def catch_up(self, conn, current: tuple | None = None) -> dict[str, set[str] | None]:
        """Bring the cache to the database's head; returns what others changed, by collection.

        ``current`` is ``(head, epoch)`` just read through ``conn`` (read here when
        ``None``).  ``None`` for a collection means all of it (the log was rewritten).
        """
        head, epoch = current or read_head(conn)
        if epoch != self.epoch or head.seq < self.head.seq:
            self.collections.clear()  # the log was rewritten (a copy, a purge): start afresh
            self.head, self.epoch = head, epoch
            return dict.fromkeys(COLLECTIONS)
        if head.seq == self.head.seq:
            return {}
        rows = conn.execute(
            "SELECT DISTINCT collection, record FROM tracker.activity_log "
            "WHERE seq > %s AND seq <= %s AND collection IS NOT NULL AND record IS NOT NULL",
            (self.head.seq, head.seq),
        ).fetchall()
        changed: dict[str, set[str] | None] = {}
        for name, record_id in rows:
            changed.setdefault(name, set()).add(record_id)
        for name, ids in changed.items():
            self._refetch(conn, name, ids)
        self.head = head
        return changed

    def _refetch(self, conn, name: str, ids: set[str]) -> None:
        cache = self.collections.get(name)
        if cache is None:
            return
        if len(ids) > RELOAD_AT:
            del self.collections[name]
            return
        rows = conn.execute(_ROWS + " AND id = ANY(%s)", (name, list(ids))).fetchall()
        for row in rows:
            cache.put(row[0], Cached(None, row[5], row[4], (row[1], row[2], row[3])))
        for record_id in ids - {row[0] for row in rows}:
            cache.drop(record_id)

    def committed(self, head: Head, collection: str, record_id: str, item: Cached | None) -> None:
        """A change this process committed: the record (``None``: deleted) and the new head."""
        cache = self.collections[collection]
        if item is None:
            cache.drop(record_id)
        else:
            cache.put(record_id, item)
        self.head = head

    def forget(self, conn) -> None:
        """After a failed or refused write: drop everything and take the head afresh."""
        self.collections.clear()
        try:
            self.head, self.epoch = read_head(conn)
        except psycopg.Error:  # the connection is gone: the next catch-up starts afresh
            self.head, self.epoch = Head(-1, -1, GENESIS), -1
