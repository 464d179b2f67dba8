"""Writing record rows with optimistic versions, and refusing writes of stale copies.

Each change names the version it replaces (``None``: the record is new).  An
insert that finds the row, an update or delete that finds another version, is
a :class:`~tracker.core.errors.ConflictError` and the transaction is rolled
back: another process wrote without the store's lock, and its change is kept
rather than overwritten.

:class:`StaleReads` covers the other way to lose an update: a caller read a
record, another replica changed it, and the caller writes its old copy back.
The store learns of the other change when the write's lock is taken; unless
the caller read the record again under the lock, the write is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from tracker.core.errors import ConflictError
from tracker.storage.pg_cache import OwnerKey

_INSERT = (
    "INSERT INTO tracker.records "
    "(collection, id, vendor, agency, audit, version, seq, doc, doc_text) "
    "VALUES (%s, %s, %s, %s, %s, 1, %s, %s::jsonb, %s) "
    "ON CONFLICT (collection, id) DO NOTHING RETURNING version"
)
_UPDATE = (
    "UPDATE tracker.records SET vendor = %s, agency = %s, audit = %s, version = version + 1, "
    "seq = %s, doc = %s::jsonb, doc_text = %s "
    "WHERE collection = %s AND id = %s AND version = %s RETURNING version"
)
_DELETE = (
    "DELETE FROM tracker.records WHERE collection = %s AND id = %s AND version = %s "
    "RETURNING version"
)


@dataclass(frozen=True)
class Change:
    """One record written (``doc`` and ``record`` given) or deleted (both ``None``)."""

    collection: str
    record_id: str
    expected: int | None  # the version replaced; None: a new record
    owner: OwnerKey | None
    doc: dict | None
    record: object | None


def document_columns(doc: dict) -> tuple[str | None, str | None]:
    """``(jsonb text, None)``, or ``(None, text)`` for a document jsonb cannot hold (a NUL)."""
    text = orjson.dumps(doc).decode()
    return (None, text) if "\\u0000" in text else (text, None)


def write_rows(conn, changes: list[Change], seqs: list[int]) -> list[int | None]:
    """Apply ``changes`` (each logged at the matching ``seqs``); returns each row's new version.

    Raises ConflictError when a row is not at the version the change expects.
    """
    groups: dict[str, list[tuple[int, tuple]]] = {_INSERT: [], _UPDATE: [], _DELETE: []}
    for n, (change, seq) in enumerate(zip(changes, seqs, strict=True)):
        key = (change.collection, change.record_id)
        if change.doc is None:
            groups[_DELETE].append((n, (*key, change.expected)))
            continue
        doc, doc_text = document_columns(change.doc)
        if change.expected is None:
            groups[_INSERT].append((n, (*key, *change.owner, seq, doc, doc_text)))
        else:
            groups[_UPDATE].append((n, (*change.owner, seq, doc, doc_text, *key, change.expected)))
    versions: list[int | None] = [None] * len(changes)
    with conn.cursor() as cur:
        for query, items in groups.items():
            if not items:
                continue
            cur.executemany(query, [params for _, params in items], returning=True)
            for n, _ in items:
                row = cur.fetchone()
                if row is None:
                    raise _conflict(changes[n])
                versions[n] = None if query is _DELETE else row[0]
                cur.nextset()
    return versions


def _conflict(change: Change) -> ConflictError:
    return ConflictError(
        "這筆資料剛被其他程序更新，您的變更未儲存；請重新整理頁面後再試一次",
        f"{change.collection}/{change.record_id} is not at version {change.expected} any more "
        "(changed without the store's lock); nothing was saved",
    )


class StaleReads:
    """The records other processes changed, found on entering the lock, not read again since."""

    def __init__(self):
        self.changed: dict[str, set[str] | None] = {}  # None: the whole collection
        self.reread: set[tuple[str, str]] = set()

    def start(self, changed: dict[str, set[str] | None]) -> None:
        """A ``locked()`` block begins; ``changed`` arrived from other processes on entry."""
        self.changed, self.reread = changed, set()

    def read(self, name: str, ids: set[str] | None) -> None:
        """``ids`` of ``name`` (``None``: all of it) were read inside the block."""
        if name not in self.changed:
            return
        if ids is None:
            del self.changed[name]
        else:
            self.reread.update((name, record_id) for record_id in ids)

    def refuse(self, name: str, record_id: str) -> None:
        """ConflictError when the record is a stale copy (see the module docstring)."""
        stale = self.changed.get(name, set())
        if (stale is None or record_id in stale) and (name, record_id) not in self.reread:
            raise ConflictError(
                "這筆資料剛被其他人（另一個執行中的系統）更新，您的變更未儲存；"
                "請重新整理頁面後再試一次",
                f"{name}/{record_id} was changed by another process after it was read; "
                "nothing was saved — reload and try again",
            )
