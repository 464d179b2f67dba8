"""Each role's navigation: the pages it may open render; the others cannot be reached at all."""

from __future__ import annotations

import pytest

from .conftest import open_page, rendered_text, session_as, signed_in

ALL_PAGES = (
    "vendor_status",
    "vendor_staff",
    "vendor_pcs",
    "vendor_incidents",
    "vendor_contacts",
    "dashboard",
    "review_queue",
    "vendors_admin",
    "pledge_forms",
    "matrix",
    "nia_accounts",
    "self_audits",
    "audit_package",
    "incidents_admin",
    "vendor_logins",
    "outbox",
)
ALLOWED = {
    "vendor.a": {
        "vendor_status",
        "vendor_staff",
        "vendor_pcs",
        "vendor_incidents",
        "vendor_contacts",
    },
    "it.office": {
        "dashboard",
        "review_queue",
        "vendors_admin",
        "pledge_forms",
        "matrix",
        "outbox",
        "audit_package",
        "incidents_admin",
        "vendor_logins",
    },
    "manager": {"dashboard", "nia_accounts", "self_audits", "audit_package"},
    "account.admin": {"dashboard", "nia_accounts", "self_audits"},
    "unit.head": {"nia_accounts"},
}


@pytest.mark.parametrize("username", list(ALLOWED))
def test_every_page_of_the_role_renders_and_no_other_page_is_registered(app_settings, username):
    at = signed_in(username)
    for page in sorted(ALLOWED[username]):
        open_page(at, page)
        assert at.title, page
        assert "您沒有權限檢視此頁面" not in [e.value for e in at.error], page
    for page in sorted(set(ALL_PAGES) - ALLOWED[username]):
        with pytest.raises(ValueError):
            at.switch_page(f"app_pages/{page}.py")


@pytest.mark.parametrize(
    ("username", "page"),
    [
        ("vendor.a", "dashboard"),
        ("vendor.a", "review_queue"),
        ("vendor.a", "matrix"),
        ("manager", "review_queue"),
        ("manager", "vendor_status"),
        ("account.admin", "vendors_admin"),
        ("it.office", "vendor_staff"),
        ("vendor.b", "pledge_forms"),
        ("vendor.a", "audit_package"),
        ("account.admin", "audit_package"),
    ],
)
def test_a_page_refuses_a_role_it_is_not_for_even_when_run_directly(app_settings, username, page):
    at = session_as(username, page)
    assert [e.value for e in at.error] == ["您沒有權限檢視此頁面"]
    assert not at.dataframe and not at.button and not at.metric


def test_a_page_refuses_a_session_without_a_user(app_settings):
    from streamlit.testing.v1 import AppTest

    from .conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app_pages" / "dashboard.py"), default_timeout=60).run()
    assert [e.value for e in at.error] == ["您沒有權限檢視此頁面"]


def test_the_manager_dashboard_is_read_only(app_settings):
    at = signed_in("manager")
    labels = {b.label for b in at.button}
    assert labels <= {"產生 Excel 活頁簿", "產生 PDF 報告", "登出"}
    assert not at.text_input and not at.text_area and not at.file_uploader
    assert "此頁僅供檢視" in rendered_text(at)
