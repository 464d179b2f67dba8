"""Vendors get their own pre-filled pledge forms; the IT office creates, resets and disables vendor
logins in the web app, a one-time password is shown once and replaced at the first sign-in."""

from __future__ import annotations

import re

import pytest

from tracker.core.errors import NotAllowed
from tracker.domain.evidence import IssuedForm
from tracker.domain.users import AppUser
from tracker.domain.vendors import VendorStaff
from tracker.services.pledges import prepare_pledge
from tracker.services.sign_in import SignInFailed, sign_in

from .conftest import REAL_PASSWORD, activity_log, new_app, open_page, real_it_office, signed_in

ONCE = re.compile(r"一次性密碼：([A-Za-z0-9]{12})")


def press(at, label: str):
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_vendor_downloads_a_pre_filled_pledge_for_its_own_staff(app_settings, store):
    person = next(s for s in store.all(VendorStaff, vendor="v-a") if s.end is None)
    at = open_page(signed_in("vendor.a"), "vendor_staff")
    at.selectbox(key="pledge_who").set_value(person.id).run()
    at.button(key="make_pledge").click().run()
    assert [b.label for b in at.get("download_button")] == ["下載切結書 PDF"]
    issued = [f for f in store.all(IssuedForm, vendor="v-a") if f.issued_by == "vendor.a"]
    assert [f.staff_id for f in issued] == [person.id]
    assert any(person.name in s.value and issued[0].id in s.value for s in at.success)


def test_a_vendor_cannot_print_a_pledge_for_another_vendors_staff(app_settings, store):
    foreign = store.all(VendorStaff, vendor="v-b")[0]
    with pytest.raises(NotAllowed):
        prepare_pledge(store, "vendor.a", foreign.id, vendor_scope="v-a")
    assert not [f for f in store.all(IssuedForm) if f.issued_by == "vendor.a"]


def create_login(store, username: str, vendor_id: str = "v-c") -> tuple[object, str]:
    """A new vendor login made by a real IT office account (a demo folder takes no real account)."""
    at = open_page(signed_in(real_it_office(store), REAL_PASSWORD), "vendor_logins")
    next(t for t in at.text_input if t.label.startswith("帳號（")).input(username)
    at.selectbox(key="new_login_vendor").set_value(vendor_id)
    press(at, "建立帳號")
    [message] = [s.value for s in at.success if "一次性密碼" in s.value]
    return at, ONCE.search(message).group(1)


def sign_in_page(username: str, password: str):
    at = new_app().run()
    at.text_input(key="username").input(username)
    at.text_input(key="password").input(password)
    at.button[0].click().run()
    return at.run()


def test_a_new_vendor_login_signs_in_once_with_its_one_time_password_and_must_change_it(
    app_settings, store
):
    at, password = create_login(store, "vendor.c")
    assert store.require(AppUser, "vendor.c").must_change_password
    assert password not in activity_log(app_settings)
    at.run()
    assert not [s for s in at.success if "一次性密碼" in s.value], "shown once"
    first = sign_in_page("vendor.c", password)
    assert [t.value for t in first.title] == ["變更密碼"]
    with pytest.raises(ValueError):
        first.switch_page("app_pages/vendor_status.py")
    fields = {t.label: t for t in first.text_input}
    fields["目前密碼"].input(password)
    fields["新密碼（至少 8 個字元）"].input("青禾的新密碼2026")
    fields["再次輸入新密碼"].input("青禾的新密碼2026")
    press(first, "變更密碼")
    assert not store.require(AppUser, "vendor.c").must_change_password
    assert "合規狀態" in first.run().title[0].value
    with pytest.raises(SignInFailed):
        sign_in(store, "vendor.c", password)


def test_a_reset_gives_a_new_one_time_password_and_a_disabled_login_cannot_sign_in(
    app_settings, store
):
    at = open_page(signed_in("it.office"), "vendor_logins")
    at.selectbox(key="login_pick").set_value("vendor.b").run()
    assert at.button(key="reset_password").disabled, "no reset before its confirmation is ticked"
    at.checkbox(key="confirm-reset-vendor.b").check().run()
    at.button(key="reset_password").click().run()
    [message] = [s.value for s in at.success if "一次性密碼" in s.value]
    password = ONCE.search(message).group(1)
    assert store.require(AppUser, "vendor.b").must_change_password
    with pytest.raises(SignInFailed):
        sign_in(store, "vendor.b", "demo-password")
    assert sign_in(store, "vendor.b", password).id == "vendor.b"
    at.selectbox(key="login_pick").set_value("vendor.b").run()
    at.button(key="toggle_login").click().run()
    assert store.require(AppUser, "vendor.b").disabled
    with pytest.raises(SignInFailed, match="停用"):
        sign_in(store, "vendor.b", password)
