"""TinyDB tables of the data folder: one JSON file per partition, parsed once and replaced atomically.

Only the store uses these; they hold TinyDB documents, never domain records."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import orjson
from tinydb.storages import Storage
from tinydb.table import Table

from tracker.core.errors import StoreError
from tracker.core.fileio import atomic_write


class CachedJSONStorage(Storage):
    """TinyDB storage: one JSON file, parsed once and kept in memory, replaced atomically on write.

    ``path=None`` keeps the data in memory only (the tests' in-memory store).
    When another process changed the file, the store drops the whole partition
    and opens it again (a new storage reads the file afresh).
    """

    def __init__(self, path: Path | None, durable: bool = True):
        self.path = path
        self.durable = durable
        self._data: dict | None = None if path else {}

    def read(self) -> dict | None:
        if self._data is None:
            try:
                self._data = orjson.loads(self.path.read_bytes())
            except FileNotFoundError:
                self._data = {}
            except orjson.JSONDecodeError as exc:
                raise StoreError(
                    f"資料檔損毀：{self.path.name}", f"corrupt data file {self.path}: {exc}"
                ) from exc
        return self._data

    def write(self, data: dict) -> None:
        if self.path is not None:
            try:
                atomic_write(self.path, orjson.dumps(data), durable=self.durable)
            except BaseException:
                self._data = None  # TinyDB changed our cached dict in place; forget it
                raise
        self._data = data

    def close(self) -> None:
        pass


class RecordTable(Table):
    """A TinyDB table whose document ids are the records' own string ids."""

    document_id_class = str

    def put(self, doc_id: str, doc: dict) -> None:
        """Insert or replace one document with a single storage write."""
        self._update_table(lambda table: table.__setitem__(doc_id, doc))

    def put_all(self, docs: dict[str, dict]) -> None:
        """Insert or replace several documents with a single storage write."""
        self._update_table(lambda table: table.update(docs))

    def drop(self, doc_id: str) -> None:
        self._update_table(lambda table: table.pop(doc_id, None))

    def raw(self) -> dict:
        """The table's documents by id, as stored (do not modify)."""
        return self._read_table()


@dataclass
class Partition:
    """One partition's table, its storage and the records decoded from it so far."""

    table: RecordTable
    storage: CachedJSONStorage
    objects: dict = field(default_factory=dict)  # id -> decoded record, filled lazily
    complete: bool = False


def open_partition(path: Path | None, name: str, durable: bool) -> Partition:
    """The partition table of collection ``name`` kept in ``path`` (``None``: in memory)."""
    storage = CachedJSONStorage(path, durable)
    return Partition(RecordTable(storage, name, cache_size=0), storage)
