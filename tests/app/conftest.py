"""Fixtures for the web app tests: one demo data folder seeded per session, a private copy per test.

Seeding renders and inspects some seventy PDFs, so it happens once; every test
gets its own copy of the folder, the environment pointing at it, and empty
Streamlit caches (``st.cache_resource`` outlives an AppTest in one process).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import streamlit as st
from google.protobuf import text_format
from streamlit.testing.v1 import AppTest

from app_pages._common import forget_stores
from app_pages._session import TOKEN_KEY
from tracker.core.config import Settings
from tracker.services.demo_accounts import DEMO_PASSWORD, remove_demo_accounts
from tracker.services.sessions import REGISTRY
from tracker.services.users import create_user
from tracker.storage.store import Store

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "streamlit_app.py")


@pytest.fixture
def app_settings(demo_root: Path, tmp_path: Path, monkeypatch) -> Settings:
    """A private copy of the demo folder, with TRACKER_* pointing at it and fresh Streamlit caches."""
    shutil.copytree(demo_root, tmp_path / "app", symlinks=True)
    settings = Settings.for_folder(tmp_path / "app")
    monkeypatch.setenv("TRACKER_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TRACKER_EVIDENCE_DIR", str(settings.evidence_dir))
    monkeypatch.setenv("TRACKER_TRUST_DIR", str(settings.trust_dir))
    st.cache_resource.clear()
    st.cache_data.clear()
    forget_stores()
    yield settings
    st.cache_resource.clear()
    st.cache_data.clear()
    forget_stores()


@pytest.fixture
def store(app_settings: Settings) -> Store:
    """A second handle on the test's data folder (the app opens its own; the store is process-safe)."""
    return Store.open(app_settings)


REAL_PASSWORD = "a real office's passphrase"


def real_it_office(store: Store) -> str:
    """End demo mode as the README says (demo accounts removed), then add a real IT office account."""
    remove_demo_accounts(store, "operator")
    create_user(store, "operator", username="it.real", role="it_office", password=REAL_PASSWORD)
    return "it.real"


def new_app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=60)


def signed_in(username: str, password: str = DEMO_PASSWORD) -> AppTest:
    """The app after signing in through the login form (and the rerun that builds the navigation)."""
    at = new_app().run()
    at.text_input(key="username").input(username)
    at.text_input(key="password").input(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at.run()


def open_page(at: AppTest, name: str) -> AppTest:
    at.switch_page(f"app_pages/{name}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def session_as(username: str, page: str) -> AppTest:
    """A page script run on its own with a session already signed in as ``username``
    (a token of the server-side session registry, as signing in leaves one)."""
    at = AppTest.from_file(str(ROOT / "app_pages" / f"{page}.py"), default_timeout=60)
    at.session_state[TOKEN_KEY] = REGISTRY.open(username)
    return at.run()


def signed_in_as(at: AppTest) -> str | None:
    """The username the session's token stands for, ``None`` when signed out."""
    try:
        token = at.session_state[TOKEN_KEY]
    except KeyError:
        return None
    return REGISTRY.touch(token)


def rendered_text(at: AppTest) -> str:
    """Every text the run put on screen: element protos (UTF-8), tables, option lists."""
    parts: list[str] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(text_format.MessageToString(proto, as_utf8=True))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    parts += [frame.value.to_csv() for frame in at.dataframe]
    parts += [table.value.to_csv() for table in at.table]
    parts += ["\n".join(map(str, box.options)) for box in at.selectbox]
    # Markdown escapes (app_pages._common.plain) as the browser shows them: "\\-" is "-"
    # (in protos the backslash itself is escaped once more), word joiners invisible.
    text = _ESCAPED.sub(r"\1", _ESCAPED_IN_PROTO.sub(r"\1", "\n".join(parts)))
    return text.replace("\u2060", "")


_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
_ESCAPED_IN_PROTO = re.compile(r"\\\\([!-/:-@\[-`{-~])")


def shown(markdown: str) -> str:
    """A Markdown string as the browser shows it: backslash escapes and word joiners removed."""
    return _ESCAPED.sub(r"\1", markdown).replace("\u2060", "")


def activity_log(settings: Settings) -> str:
    path = settings.data_dir / "activity-log.jsonl"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def column_values(at: AppTest, name: str) -> list:
    """The values of the column ``name`` in the first table or grid on screen that has it (a
    wrapping table shows its first column as the row heading)."""
    for element in [*at.table, *at.dataframe]:
        frame = element.value
        if name in frame.columns:
            return [shown(v) if isinstance(v, str) else v for v in frame[name].tolist()]
        if frame.index.name == name:
            return [shown(v) if isinstance(v, str) else v for v in frame.index]
    raise AssertionError(f"no table with a column {name}")
