"""What a PostgreSQL store keeps in memory: each collection's records, their versions and owners.

A collection is loaded whole on first use (as the folder store loads a
collection's partitions) and kept up to date from the activity log: the store
re-reads only the records the new log lines name.  Documents are decoded into
domain records on first use.  The owner of a record is the triple
``(vendor, agency, audit)`` that the ``tracker.records`` columns hold —
:func:`owner_of` is the SQL spelling of :func:`tracker.storage.registry.partition_of`,
and :func:`owner_asked` that of :func:`tracker.storage.registry.parts_for`.
Not thread-safe by itself: the store holds its lock.
"""

from __future__ import annotations

import orjson

from tracker.storage.codec import from_doc
from tracker.storage.registry import Collection, Owner, parts_for

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
        if owner is None:
            return [self._decoded(item) for item in self.items.values()]
        ids = self.by_owner.get(owner, {})
        return [self._decoded(self.items[record_id]) for record_id in ids]

    def _decoded(self, item: Cached):
        if item.record is None:
            item.record = from_doc(self.coll.cls, orjson.loads(item.text))
            item.text = None
        return item.record
