"""Reaching the PostgreSQL server: the connection string, one connection, and what failures say.

Messages name the database as ``dbname@host`` only: the URL may carry a
password, which never reaches a message or a log.
"""

from __future__ import annotations

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tracker.core.errors import StoreError


def conninfo(url: str | None) -> tuple[str, str]:
    """The connection string (with the session settings the store needs) and ``db@host`` for messages."""
    if not url or not url.startswith(("postgresql://", "postgres://")):
        raise StoreError(
            "TRACKER_DATABASE_URL 必須以 postgresql:// 開頭",
            "TRACKER_DATABASE_URL must be a postgresql:// URL",
        )
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        # the parser's message may quote the URL, password and all: say only what to check
        raise StoreError(
            "TRACKER_DATABASE_URL 格式錯誤，應為 postgresql://使用者@主機/資料庫",
            "TRACKER_DATABASE_URL is malformed; expected postgresql://user@host/dbname",
        ) from None
    # the store's lock waits at most 30 s; options given in the URL come later and win
    params["options"] = f"-c lock_timeout=30s {params.get('options', '')}".strip()
    params.setdefault("application_name", "tracker")
    where = (
        f"{params.get('dbname') or params.get('user') or '?'}@{params.get('host') or 'localhost'}"
    )
    return make_conninfo(**params), where


def first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def unreachable(exc: Exception, where: str) -> StoreError:
    return StoreError(
        f"資料庫 {where} 無法使用，請確認資料庫已啟動",
        f"the database {where} is not reachable: {first_line(exc)}",
    )


def write_failed(exc: Exception, where: str, lost: bool) -> StoreError:
    """The message of a change that failed; ``lost``: the connection broke, so its fate is unknown."""
    if lost:  # COMMIT may or may not have reached the server
        return StoreError(
            "資料庫連線在寫入時中斷，無法確定變更是否已儲存；請重新整理頁面查看",
            f"the connection to {where} broke during a change; it may or may not "
            f"be saved — reload to see: {first_line(exc)}",
        )
    return StoreError(
        "寫入資料庫失敗，變更未儲存；請稍後再試",
        f"writing to the database {where} failed, nothing was saved: {first_line(exc)}",
    )


def connect(info: str, where: str) -> psycopg.Connection:
    """One connection of its own (autocommit), for work outside a pool; StoreError when refused."""
    try:
        return psycopg.connect(info, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise StoreError(
            f"無法連線資料庫 {where}，請確認資料庫已啟動且連線設定正確",
            f"cannot connect to the database {where}: {first_line(exc)}",
        ) from exc
