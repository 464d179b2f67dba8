"""Issue 15, findings 5 and 12: sessions end on the server; no upload without a session.

The attacks, on a real ``streamlit run`` with the shipped config: a session id
reused after its tab was closed while signed in (it resumed the signed-in
session), one reused after signing out, an idle page left open (it stayed on
screen until the next click), files sent to a session that never signed in
(held in memory), and Streamlit's "clear cache" message from anyone.
"""

from __future__ import annotations

import pytest

from tests.e2e.pages import settle, sign_in, sign_out
from tests.security.browser import watch_session_ids
from tests.security.live import LiveApp, RawClient

pytestmark = pytest.mark.browser


@pytest.fixture
def app(demo_root, tmp_path):
    with LiveApp(demo_root, tmp_path, env={"TRACKER_SESSION_IDLE_MINUTES": "0.1"}) as live:
        yield live


def reuse(app: LiveApp, session_id: str) -> RawClient:
    attacker = RawClient(app.base)
    attacker.open(existing_session_id=session_id)
    return attacker


def test_a_session_id_reused_after_its_signed_in_tab_closed_gets_a_fresh_signed_out_session(
    app, chromium
):
    page = chromium.new_page()
    ids = watch_session_ids(page)
    sign_in(page, app.base, "it.office")
    session_id = ids[-1]
    page.close()  # the tab goes, signed in
    attacker = reuse(app, session_id)
    assert attacker.session_id != session_id
    assert "登出" not in attacker.text() and "帳號" in attacker.text()


def test_a_session_id_reused_after_signing_out_does_not_resume_that_session(app, chromium):
    page = chromium.new_page()
    ids = watch_session_ids(page)
    sign_in(page, app.base, "vendor.a")
    session_id = ids[-1]
    sign_out(page)
    page.close()
    attacker = reuse(app, session_id)
    assert attacker.session_id != session_id and "登出" not in attacker.text()


def test_an_idle_page_returns_to_sign_in_by_itself(app, chromium):
    page = chromium.new_page()
    sign_in(page, app.base, "manager")
    # no click, no key: the page's own timer finds the session over (idle limit 6 s here)
    page.get_by_text("閒置超過").first.wait_for(timeout=60_000)
    settle(page)
    assert page.get_by_role("button", name="登出").count() == 0
    assert page.get_by_label("帳號").count() == 1


def test_files_sent_to_a_session_that_never_signed_in_are_refused(app):
    attacker = RawClient(app.base)
    attacker.open()
    answer = attacker.put_file(b"%PDF-1.7\n" + b"0" * (19 * 1024 * 1024))
    assert answer.status_code == 403, answer.text
