"""What every page shares: the store, the signed-in user, role checks, messages and dates.

Pages call :func:`require_role` first; it returns the signed-in
:class:`~tracker.services.users.AppUser` or stops the page.  Records a vendor
user asks for by id go through :func:`own_record`, which refuses another
vendor's record: ids never come from the URL, but a page must not trust its
own widgets' values either.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING

import streamlit as st

from app_pages import _session
from tracker.core import clock
from tracker.core.config import Settings
from tracker.core.dates import roc_date, roc_short
from tracker.core.errors import NotAllowed, TrackerError
from tracker.documents.labels import ROLE, STATUS, SUBJECT
from tracker.domain.enums import Status
from tracker.domain.users import AppUser
from tracker.domain.vendors import Contract
from tracker.ops.upgrade import upgrade
from tracker.storage.backend import open_blobs, open_store
from tracker.storage.blobs import BlobStore
from tracker.storage.store import Store

if TYPE_CHECKING:
    import pandas as pd

READ_ONLY_NOTE = "此頁僅供檢視"


# The store and the blob store of each deployment (a data folder, or a database with
# TRACKER_DATABASE_URL: tracker.storage.backend), opened once per process.  Not in
# st.cache_resource: any browser may send Streamlit's "clear cache" message, which
# would make the next run open (and upgrade) a second store beside the first.
_opened: dict[Settings, tuple[Store, BlobStore]] = {}
_opening = threading.Lock()


def _folders() -> tuple[Store, BlobStore]:
    settings = Settings.from_env()
    with _opening:
        if settings not in _opened:
            upgrade(settings)
            _opened[settings] = (open_store(settings), open_blobs(settings))
        return _opened[settings]


def get_store() -> Store:
    """The one store of this process (thread-safe; shared by every session).

    The data folder, or PostgreSQL when ``TRACKER_DATABASE_URL`` is set
    (:func:`tracker.storage.backend.open_store`).
    """
    return _folders()[0]


def get_blobs() -> BlobStore:
    """The evidence files of this process (the shared evidence folder)."""
    return _folders()[1]


def forget_stores() -> None:
    """Drop the opened stores (a test that points TRACKER_DATA_DIR elsewhere starts afresh).

    A database store's connections are closed; the folder store holds none.
    """
    with _opening:
        for store, _ in _opened.values():
            close = getattr(store, "close", None)
            if close is not None:
                close()
        _opened.clear()


def current_user() -> AppUser | None:
    """The signed-in user of this session, or ``None``."""
    return _session.current_user(get_store())


def require_role(*roles: str) -> AppUser:
    """The signed-in user if their role is one of ``roles``; otherwise show a refusal and stop the page."""
    user = current_user()
    if user is None or user.role not in roles:
        st.error("您沒有權限檢視此頁面")
        st.stop()
    return user


def role_label(role: str) -> str:
    try:
        return ROLE[role]
    except KeyError:
        return role


def own_record(store: Store, cls: type, record_id: str, user: AppUser):
    """The record, provided a vendor user's vendor owns it; raises NotAllowed otherwise."""
    record = store.get(cls, record_id)
    if record is None or (
        user.role == "vendor" and getattr(record, "vendor_id", None) != user.vendor_id
    ):
        raise NotAllowed(
            "無權存取此資料", f"{cls.__name__} {record_id} is not visible to {user.id}"
        )
    return record


def vendor_contracts(store: Store, vendor_id: str) -> list[Contract]:
    """The vendor's contracts, newest first (read from the vendor's own partition only)."""
    return sorted(store.all(Contract, vendor=vendor_id), key=lambda c: c.start, reverse=True)


# Every ASCII punctuation character: CommonMark lets each be escaped with "\\", and
# escaping all of them covers links, images, emphasis, tables, HTML, autolinks
# (http://, www.), Streamlit's :red[...] and :material/...: directives and $math$.
_ASCII_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")


# GitHub Markdown turns bare "www.", "http://" and e-mail addresses into links after the
# escapes are read; an invisible WORD JOINER (U+2060) inside each keeps them text.
_AUTOLINK = re.compile(r"(?i)(https?|ftp|mailto|xmpp|www)(?=[:.])|(?=@)")


def plain(text: object) -> str:
    """``text`` as Markdown that shows exactly its characters, as plain text.

    Use it for every user-supplied part of a string that Streamlit renders as
    Markdown: ``st.success(f"已儲存 {plain(vendor.name)}")``.  Every ASCII
    punctuation character is backslash-escaped, and a WORD JOINER (U+2060,
    invisible) goes after ``http``/``www`` and before ``@`` so that nothing
    becomes a link.  Line breaks stay line breaks; leading spaces are dropped
    (they would start a code block).  ``None`` gives ``""``.
    """
    unlinked = _AUTOLINK.sub(lambda m: (m[1] or "") + "\u2060", "" if text is None else str(text))
    escaped = _ASCII_PUNCTUATION.sub(lambda m: "\\" + m[0], unlinked)
    return "  \n".join(line.lstrip() for line in escaped.splitlines())


def show_facts(facts: dict) -> None:
    """A two-column table (項目, 內容) of labels and values, every cell shown as plain text."""
    st.table({"項目": [plain(k) for k in facts], "內容": [plain(v) for v in facts.values()]})


def show_error(exc: TrackerError) -> None:
    """The zh-TW message only (the English one is for maintainers and logs, ``str(exc)``); it may
    quote user input, so it is shown as plain text."""
    st.error(plain(exc.message_zh))


@contextmanager
def attempt() -> Iterator[None]:
    """Run a form's action; a domain error becomes an on-screen message instead of a crash."""
    try:
        yield
    except TrackerError as exc:
        show_error(exc)


def roc(value: date | datetime | None) -> str:
    """``115/03/02`` (with ``HH:MM`` for an instant), ``""`` for ``None``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = value.astimezone(clock.TAIPEI) if value.tzinfo else value
        return f"{roc_short(local.date())} {local:%H:%M}"
    return roc_short(value)


def roc_long(value: date) -> str:
    return roc_date(value)


def status_frame(
    rows, *, names: dict[str, str] | None = None, subject: bool = True
) -> pd.DataFrame:
    """The status rows as a table with zh-TW headers, ROC dates and reasons (not-applicable rows
    dropped); 狀態 and 期限 first, so they show however narrow the screen."""
    import pandas as pd  # imported here: the sign-in page needs neither pandas nor the exports

    from tracker.services.dashboard import obligation_label
    from tracker.services.exports import iso_to_roc

    names = names or {}
    shown = [r for r in rows if r.status != Status.NOT_APPLICABLE]
    shown.sort(key=work_first)
    data = {
        "狀態": [STATUS[r.status] for r in shown],
        "期限": [roc(r.due) for r in shown],
        "應辦事項": [obligation_label(r.obligation_id) for r in shown],
        "適用對象": [SUBJECT[r.subject_kind] for r in shown],
        "對象": [iso_to_roc(r.subject_label) for r in shown],
        "說明": [iso_to_roc(r.reason_zh) for r in shown],
    }
    if not subject:
        data.pop("適用對象")
    if names:
        data["廠商"] = [names.get(r.vendor_id, "") for r in shown]
    return pd.DataFrame(data)


def work_first(row) -> tuple:
    """Sort key of status rows: the worst status first, then the earliest due date."""
    from tracker.compliance.results import SEVERITY

    return (-SEVERITY[row.status], row.due or date.max, row.obligation_id, row.subject_label)


def show_table(frame: pd.DataFrame, **kwargs) -> None:
    if frame.empty:
        st.info("（無資料）")
        return
    config = {"說明": st.column_config.TextColumn(width="large"), **kwargs.pop("column_config", {})}
    kwargs.setdefault("placeholder", "")  # an empty cell is empty, not "None"
    st.dataframe(frame, hide_index=True, width="stretch", column_config=config, **kwargs)


WRAPPED_ROWS = 80


def show_wrapped(frame: pd.DataFrame, first: str | None = None, **kwargs) -> None:
    """A table whose cells wrap, so every column shows at 1024 px without scrolling sideways.

    ``first`` (default: the first column) is shown as the row heading.  Up to
    :data:`WRAPPED_ROWS` rows it is a static table; a longer one is a scrolling grid
    (:func:`show_table`, with ``kwargs``) so the page stays light.
    """
    if frame.empty or len(frame) > WRAPPED_ROWS:
        show_table(frame, **kwargs)
        return
    st.table(plain_frame(frame).set_index(first or frame.columns[0]))


def plain_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` for ``st.table``, which renders its cells as Markdown: every cell as :func:`plain`
    text (empty for a missing value)."""
    return frame.fillna("").map(plain)


def agencies_or_stop(store: Store) -> dict:
    """The agencies by id, 本局 first then its affiliated agencies by name; stops the page if there are none."""
    from tracker.domain.vendors import Agency

    agencies = {
        a.id: a for a in sorted(store.all(Agency), key=lambda a: (a.parent_id is not None, a.name))
    }
    if not agencies:
        st.info("尚未建立機關資料。")
        st.stop()
    return agencies
