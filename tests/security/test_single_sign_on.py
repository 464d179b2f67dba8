"""Issue 15, finding 1: an identity-provider account becomes only the local account bound to it.

Signed in end to end: a real ``streamlit run`` with two identity providers of
tests/security/oidc.py on 127.0.0.1 in ``.streamlit/secrets.toml``, and
Chromium following ``st.login``'s redirects.  The attacks: an ID token whose
``email`` claim is ``it.office`` (a username: it signed in as the IT office),
an unverified address, and a token of another issuer with the same subject.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest

from tests.e2e.pages import settle
from tests.security.live import ROOT, LiveApp
from tests.security.oidc import Provider
from tracker.domain.users import AppUser
from tracker.services.sso import subject_hash
from tracker.services.users import set_email
from tracker.storage.store import Store

pytestmark = pytest.mark.browser
DOMAIN = "sw.gov.taipei"
IT_MAIL = f"it.office@{DOMAIN}"


@pytest.fixture
def providers():
    corp, other = Provider(), Provider()
    yield corp, other
    corp.close()
    other.close()


@pytest.fixture
def app(demo_root, tmp_path, providers):
    corp, other = providers
    secrets_file = tmp_path / "secrets.toml"
    live = LiveApp(
        demo_root,
        tmp_path,
        env={"TRACKER_SSO_EMAIL_DOMAINS": DOMAIN, "AUTHLIB_INSECURE_TRANSPORT": "1"},
        args=("--secrets.files", str(secrets_file)),
    )
    secrets_file.write_text(
        f'[auth]\nredirect_uri = "{live.base}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        f"[auth.corp]\n{corp.secrets_section()}[auth.other]\n{other.secrets_section()}",
        encoding="utf-8",
    )
    set_email(Store.open(live.settings), "cli", "it.office", IT_MAIL)
    with live:
        yield live


def sso_sign_in(chromium, app: LiveApp, provider: str) -> str:
    """Sign in through ``provider`` in a fresh browser; what the page then says."""
    context = chromium.new_context()
    page = context.new_page()
    page.goto(app.base)
    settle(page)
    page.get_by_role("button", name=f"以單一登入（{provider}）登入").click()
    page.wait_for_url(f"{app.base}/**", timeout=60_000)
    page.wait_for_selector('[data-testid="stApp"]')
    page.get_by_text("尚未對應本系統帳號").or_(
        page.get_by_role("button", name="登出")
    ).first.wait_for(timeout=60_000)
    settle(page)
    text = page.locator("body").inner_text()
    context.close()
    return text


def test_a_username_in_the_email_claim_does_not_sign_in_as_that_user(app, providers, chromium):
    corp, _ = providers
    corp.issue("attacker-1", email="it.office", email_verified=True)
    shown = sso_sign_in(chromium, app, "corp")
    assert corp.tokens_issued == 1  # the sign-in really reached the token endpoint
    assert "尚未對應本系統帳號" in shown and "登出" not in shown
    assert Store.open(app.settings).get(AppUser, "it.office").sso_subject_hash == ""


def test_an_unverified_address_does_not_link(app, providers, chromium):
    corp, _ = providers
    corp.issue("emp-7", email=IT_MAIL, email_verified=False)
    assert "尚未對應本系統帳號" in sso_sign_in(chromium, app, "corp")
    assert Store.open(app.settings).get(AppUser, "it.office").sso_subject_hash == ""


def test_a_verified_address_links_once_and_another_issuer_never_matches(app, providers, chromium):
    corp, other = providers
    corp.issue("emp-7", email=IT_MAIL.upper(), email_verified=True)
    shown = sso_sign_in(chromium, app, "corp")
    assert "登出" in shown and "it.office" in shown
    user = Store.open(app.settings).get(AppUser, "it.office")
    assert (user.sso_issuer, user.sso_subject_hash) == (corp.issuer, subject_hash("emp-7"))
    corp.issue("emp-7", email="changed@example.org")  # bound by issuer and subject now
    assert "登出" in sso_sign_in(chromium, app, "corp")
    other.issue("emp-7", email=IT_MAIL, email_verified=True)  # same subject, other issuer
    assert "尚未對應本系統帳號" in sso_sign_in(chromium, app, "other")


def test_an_administrator_links_an_account_without_any_address(app, providers, chromium):
    corp, _ = providers
    env = dict(
        os.environ,
        TRACKER_DATA_DIR=str(app.settings.data_dir),
        TRACKER_EVIDENCE_DIR=str(app.settings.evidence_dir),
    )
    linked = subprocess.run(
        [
            sys.executable,
            "-m",
            "tracker",
            "users",
            "link",
            "manager",
            "--issuer",
            corp.issuer,
            "--subject",
            "boss-1",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert linked.returncode == 0, linked.stderr
    corp.issue("boss-1")
    shown = sso_sign_in(chromium, app, "corp")
    assert "登出" in shown and "manager" in shown
