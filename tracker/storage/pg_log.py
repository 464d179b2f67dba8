"""The activity log kept in PostgreSQL: the same lines and hash chain as the folder's log file.

Lines are chained by :func:`tracker.activitylog.chain.chained` (the project's
canonical JSON, ``hash`` last) and stored as the text the folder's
``activity-log.jsonl`` holds, so ``raw_lines()`` gives the same bytes for the
same entries and :func:`tracker.activitylog.chain.verify_lines` checks it unchanged.  Lines
are appended only by the store (:class:`tracker.storage.postgres.PgStore`),
inside the transaction of their change and under its advisory lock; reading
and verifying take one repeatable-read snapshot, so the head and the lines
agree even while other processes write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import orjson

from tracker.activitylog.chain import Head, Verification, chained, entry_instant, verify_lines

_INSERT = (
    "INSERT INTO tracker.activity_log "
    "(seq, hash, prev_hash, at, actor, action, collection, record, line) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
BATCH = 2000  # lines fetched per round trip when streaming the log


def chain_lines(entries: list[dict], head: Head) -> list[tuple[dict, str]]:
    """``entries`` numbered and chained after ``head`` (:func:`~tracker.activitylog.chain.chained`):
    each line and its stored text, the folder log's line without its newline."""
    lines, data = chained(entries, head.hash, head.seq)
    texts = data.decode().split("\n")[:-1]
    return list(zip(lines, texts, strict=True))


def insert_lines(conn, lines: list[tuple[dict, str]]) -> None:
    """Insert chained lines (from :func:`chain_lines` or a copied log) in the caller's transaction."""
    if not lines:
        return
    with conn.cursor() as cur:
        cur.executemany(_INSERT, [_row(line, text) for line, text in lines])


def _row(line: dict, text: str) -> tuple:
    return (
        line["seq"],
        line["hash"],
        line["prev_hash"],
        entry_instant(line),
        _text(line.get("actor")),
        _text(line.get("action")),
        _text(line.get("collection")),
        _text(line.get("record")),
        text,
    )


def _text(value) -> str | None:
    return value if isinstance(value, str) else None


HEAD_QUERY = "SELECT count, seq, hash, epoch FROM tracker.log_head"


def read_head(conn) -> tuple[Head, int]:
    """The chain's end and the log's epoch, as the database holds them now."""
    return head_of(conn.execute(HEAD_QUERY).fetchone())


def head_of(row) -> tuple[Head, int]:
    """``(Head, epoch)`` from a row of :data:`HEAD_QUERY`."""
    count, seq, hash_, epoch = row
    return Head(int(count), int(seq), str(hash_)), int(epoch)


class PgActivityLog:
    """The activity log of a PostgreSQL store: ``head``, ``entries``, ``raw_lines``, ``verify``.

    ``append``/``append_many`` and ``purge_before`` go through the store
    (``commit``, ``purge``), which holds the lock and writes the lines in the
    transaction of a change.
    """

    def __init__(self, pool, commit: Callable[[list[dict]], list[dict]], purge: Callable):
        self._pool = pool
        self._commit = commit
        self._purge = purge

    def head(self) -> Head:
        with self._pool.connection() as conn:
            return read_head(conn)[0]

    def append(self, entry: dict) -> dict:
        """Chain ``entry`` after the head in its own transaction; returns the line."""
        return self.append_many([entry])[0]

    def append_many(self, entries: list[dict]) -> list[dict]:
        """Chain several entries in order, in one transaction; returns the lines."""
        return self._commit(list(entries)) if entries else []

    def purge_before(self, before, *, actor: str, now):
        """The retention purge (:mod:`tracker.storage.pg_purge`); the plan, or ``None``."""
        return self._purge(before, actor=actor, now=now)

    def entries(self) -> Iterator[dict]:
        """Every line in order, parsed."""
        for raw in self.raw_lines():
            yield orjson.loads(raw)

    def raw_lines(self) -> Iterator[bytes]:
        """Every line exactly as stored, with its newline, from one snapshot."""
        with self._snapshot() as (conn, _head):
            yield from stream_lines(conn)

    def verify(self) -> Verification:
        """Check every line's hash, the chain, the sequence and the head (one snapshot)."""
        with self._snapshot() as (conn, head):
            return verify_lines(stream_lines(conn), head)

    def holds(self, digest: str) -> int | None:
        """The seq of the line (or anchor) whose hash is ``digest``, or ``None``."""
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT seq FROM tracker.activity_log WHERE hash = %s ORDER BY seq LIMIT 1",
                (digest,),
            ).fetchone()
        return int(row[0]) if row else None

    def since(self, seq: int) -> bytes:
        """The lines after ``seq``, as stored (with their newlines)."""
        with self._snapshot() as (conn, _head):
            return b"".join(stream_lines(conn, after=seq))

    @contextmanager
    def _snapshot(self):
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield conn, read_head(conn)[0]


def stream_lines(conn, *, after: int = -1) -> Iterator[bytes]:
    """The log's lines after seq ``after`` in order, with their newlines.

    Fetched :data:`BATCH` at a time through a server-side cursor, so the caller
    holds a transaction (its snapshot) while iterating.
    """
    with conn.cursor(name="activity_log_lines") as cur:
        cur.itersize = BATCH
        cur.execute("SELECT line FROM tracker.activity_log WHERE seq > %s ORDER BY seq", (after,))
        for (line,) in cur:
            yield line.encode() + b"\n"
