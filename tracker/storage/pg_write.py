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
from tracker.storage.pg_schema import CONFLICT

# each statement checks itself: tracker.expect aborts the transaction (SQLSTATE TK001,
# the record named in the message) when the row is not where the change expects it
_INSERT = (
    "WITH done AS (INSERT INTO tracker.records "
    "(collection, id, vendor, agency, audit, version, seq, doc, doc_text) "
    "VALUES (%s, %s, %s, %s, %s, 1, %s, %s::jsonb, %s) "
    "ON CONFLICT (collection, id) DO NOTHING RETURNING 1) "
    "SELECT tracker.expect(count(*) = 1, %s) FROM done"
)
_UPDATE = (
    "WITH done AS (UPDATE tracker.records SET vendor = %s, agency = %s, audit = %s, "
    "version = version + 1, seq = %s, doc = %s::jsonb, doc_text = %s "
    "WHERE collection = %s AND id = %s AND version = %s RETURNING 1) "
    "SELECT tracker.expect(count(*) = 1, %s) FROM done"
)
_DELETE = (
    "WITH done AS (DELETE FROM tracker.records "
    "WHERE collection = %s AND id = %s AND version = %s RETURNING 1) "
    "SELECT tracker.expect(count(*) = 1, %s) FROM done"
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
    """Queue ``changes`` (each logged at the matching ``seqs``); returns each row's new version.

    Meant for a pipeline: nothing is waited for.  A row not at the version its
    change expects aborts the transaction with SQLSTATE TK001 (see
    :func:`conflict_of`).
    """
    groups: dict[str, list[tuple]] = {_INSERT: [], _UPDATE: [], _DELETE: []}
    versions: list[int | None] = []
    for change, seq in zip(changes, seqs, strict=True):
        key, what = (change.collection, change.record_id), f"{change.collection}/{change.record_id}"
        if change.doc is None:
            groups[_DELETE].append((*key, change.expected, what))
            versions.append(None)
            continue
        doc, doc_text = document_columns(change.doc)
        if change.expected is None:
            groups[_INSERT].append((*key, *change.owner, seq, doc, doc_text, what))
            versions.append(1)
        else:
            groups[_UPDATE].append((*change.owner, seq, doc, doc_text, *key, change.expected, what))
            versions.append(change.expected + 1)
    with conn.cursor() as cur:
        for query, params in groups.items():
            if params:
                cur.executemany(query, params)
    return versions


def conflict_of(exc: Exception) -> ConflictError | None:
    """The ConflictError a failed change means when ``tracker.expect`` refused it, else ``None``."""
    if getattr(exc, "sqlstate", None) != CONFLICT:
        return None
    what = exc.diag.message_primary or "?"
    if what == "log":
        return ConflictError(
            "操作日誌已被其他程序更新，您的變更未儲存；請重新整理頁面後再試一次",
            "the activity log moved without the store's lock; nothing was saved — try again",
        )
    return ConflictError(
        "這筆資料剛被其他程序更新，您的變更未儲存；請重新整理頁面後再試一次",
        f"{what} is not at the version this process read (changed without the store's lock); "
        "nothing was saved",
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
