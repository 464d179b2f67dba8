"""Signing in, locking, idling out and signing out, through the app as a person uses it."""

from __future__ import annotations

import json
from datetime import timedelta

from tracker.core import clock
from tracker.domain.users import AppUser
from tracker.services.demo_accounts import DEMO_PASSWORD

from .conftest import activity_log, new_app, shown, signed_in, signed_in_as


def test_login_page_has_one_username_and_one_password_field_and_shows_demo_accounts(app_settings):
    at = new_app().run()
    assert [t.key for t in at.text_input] == ["username", "password"]
    assert at.text_input(key="password").proto.type == at.text_input(key="password").proto.PASSWORD
    assert at.text_input(key="username").proto.type != at.text_input(key="username").proto.PASSWORD
    assert len(at.button) == 1 and at.button[0].label == "登入"
    assert DEMO_PASSWORD in at.info[0].value
    assert "vendor.a" in at.table[0].value.to_csv()


def test_login_page_hides_demo_accounts_for_real_data(app_settings, store):
    store.set_meta(demo=False)
    at = new_app().run()
    assert not at.info and not at.table
    assert DEMO_PASSWORD not in str(at.markdown)


def test_wrong_password_is_refused_without_saying_whether_the_user_exists(app_settings):
    for name in ("vendor.a", "nobody.here"):
        at = new_app().run()
        at.text_input(key="username").input(name)
        at.text_input(key="password").input("wrong-password")
        at.button[0].click().run()
        assert [e.value for e in at.error] == ["帳號或密碼錯誤"]
        assert signed_in_as(at) is None


def test_five_failures_lock_the_account_even_against_the_right_password(app_settings, store):
    at = new_app().run()
    for _ in range(5):
        at.text_input(key="username").input("vendor.b")
        at.text_input(key="password").input("not-the-password")
        at.button[0].click().run()
    assert "鎖定" in at.error[0].value
    at.text_input(key="username").input("vendor.b")
    at.text_input(key="password").input(DEMO_PASSWORD)
    at.button[0].click().run()
    assert "鎖定" in at.error[0].value and "user_id" not in at.session_state
    assert store.get(AppUser, "vendor.b").locked_until > clock.now() + timedelta(minutes=14)
    log = activity_log(app_settings)
    assert '"action":"user_locked"' in log and '"reason":"locked"' in log


def later(monkeypatch, minutes: int) -> None:
    """Let ``minutes`` pass on the clock every part of the app reads."""
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start + timedelta(minutes=minutes))


def test_a_session_idle_for_sixteen_minutes_is_signed_out(app_settings, monkeypatch):
    at = signed_in("manager")
    assert at.title[0].value == "合規儀表板"
    later(monkeypatch, 16)
    at.run()
    assert signed_in_as(at) is None
    assert [t.key for t in at.text_input] == ["username", "password"]
    assert "閒置超過 15 分鐘" in at.info[0].value
    assert '"action":"session_timed_out"' in activity_log(app_settings)


def test_a_session_active_within_fifteen_minutes_stays_signed_in(app_settings, monkeypatch):
    at = signed_in("manager")
    later(monkeypatch, 14)
    at.run()
    assert signed_in_as(at) == "manager" and at.title[0].value == "合規儀表板"


def test_sign_out_returns_to_the_login_page_and_is_logged(app_settings):
    at = signed_in("it.office")
    at.sidebar.button(key="sign_out").click().run()
    assert signed_in_as(at) is None
    assert at.title[0].value == "移民資訊應用合規追蹤"
    events = [json.loads(line) for line in activity_log(app_settings).splitlines()]
    done = {(e["actor"], e["action"]) for e in events}
    assert {("it.office", "sign_in"), ("it.office", "sign_out")} <= done


def test_the_sidebar_names_the_user_and_role_in_chinese(app_settings):
    at = signed_in("account.admin")
    assert "account.admin" in shown(at.sidebar.markdown[0].value)
    assert "機關帳號管理者" in at.sidebar.markdown[0].value


def test_no_password_reaches_the_activity_log(app_settings):
    signed_in("vendor.a")
    at = new_app().run()
    at.text_input(key="username").input("vendor.a")
    at.text_input(key="password").input("a-mistyped-secret")
    at.button[0].click().run()
    log = activity_log(app_settings)
    assert DEMO_PASSWORD not in log and "a-mistyped-secret" not in log


def test_a_disabled_account_is_signed_out_at_its_next_interaction(app_settings, store):
    from tracker.services.users import set_disabled

    at = signed_in("vendor.a")
    set_disabled(store, "it.office", "vendor.a")
    at.run()
    assert signed_in_as(at) is None
