"""Issue 15, finding 12: the server's defaults as shipped.

The attacks: an error in a page showed its traceback to users (the repository's
config.toml set neither ``showErrorDetails`` nor ``address``), and anyone's
"clear cache" message made the next run open a second store.
"""

from __future__ import annotations

import tomllib

import streamlit as st
from streamlit import config

from app_pages._common import get_store
from tests.app.conftest import new_app
from tests.security.live import ROOT, LiveApp, RawClient

SHIPPED = ROOT / ".streamlit" / "config.toml"
SECRET = "db-password-in-/etc/nia-tracker/secret.conf"


def test_the_shipped_config_uses_only_options_streamlit_knows_and_the_safe_values():
    shipped = tomllib.loads(SHIPPED.read_text(encoding="utf-8"))
    known = config.get_config_options()
    names = [f"{section}.{key}" for section, keys in shipped.items() for key in keys]
    assert [n for n in names if n not in known] == []
    server, client = shipped["server"], shipped["client"]
    assert client["showErrorDetails"] == "none" and client["toolbarMode"] == "minimal"
    assert server["address"] == "127.0.0.1" and server["enableXsrfProtection"] is True
    assert server["allowedHosts"] and "*" not in server["allowedHosts"]
    assert server["fileWatcherType"] == "none" and server["runOnSave"] is False


def test_an_error_in_a_page_shows_users_no_message_and_no_traceback(demo_root, tmp_path):
    failing = tmp_path / "failing_page.py"
    failing.write_text(f"raise RuntimeError({SECRET!r})\n", encoding="utf-8")
    with LiveApp(demo_root, tmp_path, script=str(failing)) as app:
        visitor = RawClient(app.base)
        visitor.open()
        shown = visitor.text()
        assert "exception" in shown  # the error reached the page, as a generic message
        assert SECRET not in shown and "RuntimeError" not in shown
        assert "stack_trace" not in shown and "Traceback" not in shown
        assert SECRET in app.log()  # the details are in the server's log


def test_a_clear_cache_message_does_not_open_a_second_store(app_settings):
    at = new_app().run()
    first = get_store()
    st.cache_data.clear()  # what Streamlit does for anyone's "clear_cache" message
    st.cache_resource.clear()
    at.run()
    assert not at.exception and get_store() is first
