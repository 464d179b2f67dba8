"""One collection's records in memory: partitions of documents, decoded lazily, changed by log lines.

Why partitions: each collection is split by vendor or agency (see
:mod:`tracker.storage.registry`), so a checkpoint rewrites only the small
tables that changed, and a vendor's records are read without the others'.

Every change reaches memory the same way, whether this process made it or
read it from the log: :meth:`Records.apply` with the line's ``seq`` and the
record's document after the change (``None`` when it was deleted).  A
partition loaded from a table file ignores lines its file already reflects
(``seq`` not above the file's), so replaying lines more than once, or onto a
newer file, gives the same records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tracker.activitylog.chain import GENESIS
from tracker.storage.checkpoint import TableFile
from tracker.storage.codec import from_doc
from tracker.storage.registry import Collection


@dataclass
class Partition:
    """One partition's documents by id, the log line its table file reflects, decoded records."""

    docs: dict[str, dict] = field(default_factory=dict)
    seq: int = 0  # 0: no table file yet, every line applies
    hash: str = GENESIS
    objects: dict[str, object] = field(default_factory=dict)
    complete: bool = False


class Records:
    """The records of one collection, by partition, with an id → partition index."""

    def __init__(self, coll: Collection):
        self.coll = coll
        self.parts: dict[str, Partition] = {}
        self.index: dict[str, str] = {}

    def add_file(self, part_name: str, table: TableFile) -> None:
        """Take the records of a table file as partition ``part_name``."""
        self.parts[part_name] = Partition(dict(table.docs), table.seq, table.hash)
        for record_id in table.docs:
            other = self.index.get(record_id)
            # a record in two files (it moved; the older file is corrected by the log line
            # that moved it): the newer file's copy is the one read
            if other is None or self.parts[other].seq < table.seq:
                self.index[record_id] = part_name

    def doc(self, record_id: str) -> dict | None:
        """The stored document of a record (do not modify), or ``None``."""
        part_name = self.index.get(record_id)
        return None if part_name is None else self.parts[part_name].docs.get(record_id)

    def get(self, record_id: str):
        """The decoded record, or ``None``."""
        part_name = self.index.get(record_id)
        if part_name is None:
            return None
        part = self.parts[part_name]
        obj = part.objects.get(record_id)
        if obj is None:
            obj = part.objects[record_id] = from_doc(self.coll.cls, part.docs[record_id])
        return obj

    def all(self, part_names: Iterable[str] | None = None) -> list:
        """Decoded records of the partitions named (every partition when ``None``).

        In a stable order, whatever was read or written before: partitions by
        name, records in the order they were first stored.
        """
        names = sorted(self.parts) if part_names is None else part_names
        out: list = []
        for name in names:
            part = self.parts.get(name)
            if part is None:
                continue
            objects = part.objects
            if not part.complete:
                for record_id, doc in part.docs.items():
                    if record_id not in objects:
                        objects[record_id] = from_doc(self.coll.cls, doc)
                part.complete = True
            out.extend(objects[record_id] for record_id in part.docs)
        return out

    def apply(
        self,
        seq: int,
        record_id: str,
        after: dict | None,
        *,
        before: str | None = None,
        record=None,
    ) -> set[str]:
        """Line ``seq`` left the record ``after`` (``None``: deleted); returns the partitions changed.

        ``before`` is the partition the line says the record was in; ``record``
        the decoded record when the caller has it (its own write).
        """
        changed = set()
        new = self.coll.doc_partition(after) if after is not None else None
        for name in {self.index.get(record_id), before} - {None, new}:
            part = self.parts.get(name)
            if part is not None and seq > part.seq and record_id in part.docs:
                del part.docs[record_id]
                part.objects.pop(record_id, None)
                if self.index.get(record_id) == name:
                    del self.index[record_id]
                changed.add(name)
        if new is not None:
            part = self.parts.get(new)
            if part is None:
                part = self.parts[new] = Partition()
            if seq > part.seq:
                part.docs[record_id] = after
                if record is not None:
                    part.objects[record_id] = record
                else:
                    part.objects.pop(record_id, None)
                    part.complete = False
                self.index[record_id] = new
                changed.add(new)
            elif record_id in part.docs:
                self.index[record_id] = new
        return changed


def touched(coll: Collection, entry: dict) -> set[str]:
    """The partitions a log line of ``coll`` changes (where the record was and where it is)."""
    parts = set()
    for doc in (entry.get("before"), entry.get("after")):
        if isinstance(doc, dict):
            parts.add(coll.doc_partition(doc))
    return parts
