"""Issue 15, finding 14: a demo folder cannot quietly become production.

The attacks: reading the sign-in page of a demo folder (every demo account with
its vendor's name and the shared password), and an office entering real
vendors and users into that folder while the public demo accounts stay valid.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.app.conftest import REAL_PASSWORD, new_app, open_page, rendered_text, signed_in
from tests.conftest import ROOT
from tracker.core.errors import InvalidInput
from tracker.domain.users import AppUser
from tracker.domain.vendors import Vendor
from tracker.services.demo_accounts import DEMO_PASSWORD, DEMO_USERS, REMOVE_COMMAND
from tracker.services.sign_in import SignInFailed, sign_in
from tracker.services.users import create_user
from tracker.services.vendors import save_vendor

DEMO_BANNER = "示範資料：帳號密碼公開"


def test_the_sign_in_page_lists_demo_usernames_and_roles_but_no_vendor(app_settings, store):
    at = new_app().run()
    table = at.table[0].value.to_csv()
    assert all(username in table for username, _, _ in DEMO_USERS)
    assert "委外廠商" in table
    for vendor in store.all(Vendor):
        assert vendor.name not in rendered_text(at)


@pytest.mark.parametrize(
    ("username", "page"),
    [("vendor.a", "vendor_staff"), ("it.office", "review_queue"), ("manager", "dashboard")],
)
def test_every_page_of_a_demo_folder_says_it_is_demo_data(app_settings, username, page):
    at = open_page(signed_in(username), page)
    assert any(DEMO_BANNER in w.value for w in at.warning)


def test_a_demo_folder_refuses_a_real_user_and_vendor_naming_the_command_that_ends_demo_mode(
    app_settings, store
):
    with pytest.raises(InvalidInput) as refused:
        create_user(store, "cli", username="chen.real", role="it_office", password=REAL_PASSWORD)
    assert REMOVE_COMMAND in refused.value.message_zh
    with pytest.raises(InvalidInput, match="示範資料"):
        save_vendor(store, "it.office", name="真實資訊股份有限公司", ubn="22099131")
    assert store.get(AppUser, "chen.real") is None
    assert "真實資訊股份有限公司" not in {v.name for v in store.all(Vendor)}


def test_the_cli_refuses_users_add_in_a_demo_folder_with_one_line(app_settings):
    done = subprocess.run(
        [sys.executable, "-m", "tracker", "users", "add", "chen.real", "--role", "manager"],
        env=dict(os.environ, TRACKER_NEW_PASSWORD=REAL_PASSWORD),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and REMOVE_COMMAND in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_ending_demo_mode_removes_the_public_accounts_and_is_logged(app_settings, store):
    done = subprocess.run(
        [sys.executable, "-m", "tracker", "demo", "remove-accounts", "--json"],
        env=dict(os.environ),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    removed = json.loads(done.stdout)["removed_accounts"]
    assert sorted(removed) == sorted(u for u, _, _ in DEMO_USERS)
    for username, _, _ in DEMO_USERS:
        with pytest.raises(SignInFailed):
            sign_in(store, username, DEMO_PASSWORD)
    log = (app_settings.data_dir / "activity-log.jsonl").read_text(encoding="utf-8")
    assert '"action":"demo_mode_ended"' in log and log.count('"demo_account_removed"') == len(
        DEMO_USERS
    )
    create_user(store, "cli", username="chen.real", role="it_office", password=REAL_PASSWORD)
    save_vendor(store, "chen.real", name="真實資訊股份有限公司", ubn="22099131")
    at = new_app().run()
    assert not at.table and not any(DEMO_BANNER in w.value for w in at.warning)
