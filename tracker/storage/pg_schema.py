"""The PostgreSQL database's tables and the versioned steps that create and upgrade them.

Everything lives in the schema ``tracker`` of the database the URL names, so
the tables never mix with anything else kept there:

``tracker.schema_version``
    one row per step applied (``version``, when, a description).
``tracker.meta``
    the store's settings (``created``, ``demo``…), a JSON value per key.
``tracker.records``
    one row per record, keyed by ``(collection, id)``: the owner columns
    ``vendor``, ``agency`` and ``audit`` (whose records these are, as
    :mod:`tracker.storage.registry` splits them), ``version`` (1 on insert, +1
    on each change), ``seq`` (the activity-log line of the last change) and the
    document: ``doc`` (``jsonb``), or ``doc_text`` for the rare document jsonb
    cannot hold (a string with a NUL character).
``tracker.activity_log``
    one row per activity-log line: ``seq``, ``hash``, ``prev_hash``, a few
    columns for finding lines (``at``, ``actor``, ``action``, ``collection``,
    ``record``) and ``line``, the line exactly as the folder's log file would
    hold it (without its newline), so verification reads what was hashed.
``tracker.log_head``
    the chain's end (``count``, ``seq``, ``hash``) and ``epoch``, which changes
    when the log is rewritten as a whole (a copy, a purge): caches key on it.
``tracker.expect(ok, what)``
    raises SQLSTATE ``TK001`` with ``what`` as the message unless ``ok``: how a
    change's checks (the head it chains onto, each row's version) abort it.

``STEPS[n]`` upgrades a database from version ``n`` to ``n + 1`` (0 is an
empty database); each runs in one transaction while an advisory lock is held,
so two processes opening a new database at once create it once.
"""

from __future__ import annotations

import orjson

from tracker.core import clock
from tracker.core.errors import StoreError

SCHEMA_VERSION = 1
MIGRATE_LOCK = 7_270_111_400  # advisory lock key held while a step runs

_V1 = (
    "CREATE SCHEMA IF NOT EXISTS tracker",
    """CREATE TABLE tracker.schema_version (
        version integer PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now(),
        step text NOT NULL)""",
    "CREATE TABLE tracker.meta (key text PRIMARY KEY, value jsonb NOT NULL)",
    """CREATE TABLE tracker.records (
        collection text NOT NULL,
        id text NOT NULL,
        vendor text,
        agency text,
        audit text,
        version bigint NOT NULL CHECK (version > 0),
        seq bigint NOT NULL,
        doc jsonb,
        doc_text text,
        CHECK ((doc IS NULL) <> (doc_text IS NULL)),
        PRIMARY KEY (collection, id))""",
    "CREATE INDEX records_by_vendor ON tracker.records (collection, vendor) "
    "WHERE vendor IS NOT NULL",
    "CREATE INDEX records_by_agency ON tracker.records (collection, agency, audit) "
    "WHERE agency IS NOT NULL",
    """CREATE TABLE tracker.activity_log (
        seq bigint PRIMARY KEY,
        hash char(64) NOT NULL,
        prev_hash char(64) NOT NULL,
        at timestamptz,
        actor text,
        action text,
        collection text,
        record text,
        line text NOT NULL)""",
    "CREATE INDEX activity_log_by_hash ON tracker.activity_log (hash)",
    "CREATE INDEX activity_log_by_record ON tracker.activity_log (collection, record) "
    "WHERE collection IS NOT NULL",
    """CREATE TABLE tracker.log_head (
        one boolean PRIMARY KEY DEFAULT true CHECK (one),
        count bigint NOT NULL,
        seq bigint NOT NULL,
        hash char(64) NOT NULL,
        epoch bigint NOT NULL)""",
    "INSERT INTO tracker.log_head VALUES (true, 0, 0, repeat('0', 64), 1)",
    # raises SQLSTATE TK001 (a conflict) unless ``ok``: the checks of a change abort its own
    # transaction on the server, so a whole change can be sent in one round trip
    """CREATE FUNCTION tracker.expect(ok boolean, what text) RETURNS boolean
        LANGUAGE plpgsql AS $$
        BEGIN
            IF ok IS NOT TRUE THEN
                RAISE EXCEPTION USING ERRCODE = 'TK001', MESSAGE = what;
            END IF;
            RETURN true;
        END $$""",
)
CONFLICT = "TK001"  # the SQLSTATE of tracker.expect

STEPS: dict[int, tuple[str, tuple[str, ...]]] = {
    0: ("records, activity log, head and meta tables", _V1),
}


def database_schema(conn) -> int:
    """The version of the ``tracker`` schema in the database (0: none yet)."""
    row = conn.execute("SELECT to_regclass('tracker.schema_version') IS NOT NULL").fetchone()
    if not row[0]:
        return 0
    return conn.execute("SELECT coalesce(max(version), 0) FROM tracker.schema_version").fetchone()[
        0
    ]


def refuse_unknown(version: int) -> None:
    """StoreError when the database is newer than this code, or a step to the current one is missing."""
    if version > SCHEMA_VERSION:
        raise StoreError(
            "資料庫由較新版本的系統建立，請升級本系統",
            f"the database has schema {version}; this version knows {SCHEMA_VERSION}",
        )
    missing = [v for v in range(version, SCHEMA_VERSION) if v not in STEPS]
    if missing:
        raise StoreError("找不到資料庫結構升級步驟", f"no database migration from {missing[0]}")


def migrate(conn, *, upto: int | None = None) -> list[int]:
    """Apply every step from the database's version to ``upto`` (the current one); returns the versions reached.

    The steps run while :data:`MIGRATE_LOCK` is held as a session lock, each in
    a transaction begun after the lock was granted (so it sees what a process
    that migrated meanwhile committed), and the version is read again there:
    processes migrating at once apply each step once.  ``conn`` is in
    autocommit mode.
    """
    upto = SCHEMA_VERSION if upto is None else upto
    reached: list[int] = []
    conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATE_LOCK,))
    try:
        while True:
            with conn.transaction():
                version = database_schema(conn)
                refuse_unknown(version)
                if version >= upto:
                    return reached
                description, statements = STEPS[version]
                for statement in statements:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO tracker.schema_version (version, step) VALUES (%s, %s)",
                    (version + 1, description),
                )
            reached.append(version + 1)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATE_LOCK,))


def is_empty(conn) -> bool:
    """Whether the database holds no record and no activity-log line (no schema counts as empty)."""
    if database_schema(conn) == 0:
        return True
    row = conn.execute(
        "SELECT NOT EXISTS (SELECT 1 FROM tracker.records) "
        "AND NOT EXISTS (SELECT 1 FROM tracker.activity_log)"
    ).fetchone()
    return bool(row[0])


def prepare(conn, where: str) -> int:
    """The schema version a store may open: a new database gets the tables (and its first meta).

    StoreError when the database is older (``store migrate`` first) or newer
    than this code.
    """
    version = database_schema(conn)
    refuse_unknown(version)
    if version == 0:
        migrate(conn)
        conn.execute(
            "INSERT INTO tracker.meta VALUES ('created', %s), ('demo', 'false') "
            "ON CONFLICT DO NOTHING",
            (orjson.dumps(clock.now().isoformat()).decode(),),
        )
    elif version < SCHEMA_VERSION:
        raise StoreError(
            "資料庫的資料結構較舊，請先執行 python -m tracker store migrate",
            f"the database {where} has schema {version}; run python -m tracker store migrate",
        )
    return database_schema(conn)
