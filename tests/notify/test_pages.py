"""The web app: notices arrive when the event is recorded; the outbox page; the address forms."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.domain.outbox import Delivery, OutboxMessage
from tracker.domain.vendors import Agency, Vendor
from tracker.services import users
from tracker.storage.store import Store

from .conftest import BASE_URL, SENDER
from .mailserver import unused_port
from .test_notices import audit_with_records, report

streamlit = pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from app_pages._common import forget_stores  # noqa: E402
from app_pages._session import TOKEN_KEY  # noqa: E402
from tests.app.conftest import shown  # noqa: E402
from tracker.services.sessions import REGISTRY  # noqa: E402

PAGES = Path(__file__).resolve().parents[2] / "app_pages"
PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def web(world, settings, monkeypatch):
    """The world opened by the pages through ``Settings.from_env()``, with four sign-ins."""
    for name, value in (
        ("TRACKER_DATA_DIR", settings.data_dir),
        ("TRACKER_EVIDENCE_DIR", settings.evidence_dir),
        ("TRACKER_TRUST_DIR", settings.trust_dir),
        ("TRACKER_MAIL_FROM", SENDER),
        ("TRACKER_BASE_URL", BASE_URL),
    ):
        monkeypatch.setenv(name, str(value))
    monkeypatch.delenv("TRACKER_SMTP_URL", raising=False)
    for name, role, vendor in (
        ("it.office", "it_office", None),
        ("vendor.a", "vendor", "v-a"),
        ("admin1", "account_admin", None),
    ):
        users.create_user(world, "t", username=name, role=role, password=PASSWORD, vendor_id=vendor)
    streamlit.cache_resource.clear()
    forget_stores()  # the next page opens the folder again, with the environment as it is now
    yield world
    streamlit.cache_resource.clear()
    forget_stores()  # the next page opens the folder again, with the environment as it is now


def page(name: str, username: str) -> AppTest:
    """The page in a session signed in as ``username`` (a token of the server-side registry)."""
    at = AppTest.from_file(str(PAGES / name), default_timeout=60)
    at.session_state[TOKEN_KEY] = REGISTRY.open(username)
    return at.run()


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def by_label(widgets, label: str):
    return next(w for w in widgets if w.label == label)


def texts(at: AppTest) -> str:
    """The messages on screen as they read (user text is Markdown-escaped: tests.app.conftest.shown)."""
    kinds = (at.success, at.info, at.warning, at.error)
    return "\n".join(shown(e.value) for kind in kinds for e in kind)


def test_an_incident_reported_in_the_web_app_reaches_the_it_office_and_security_at_once(
    web, mail_server, monkeypatch
):
    monkeypatch.setenv("TRACKER_SMTP_URL", mail_server.url())
    at = page("vendor_incidents.py", "vendor.a")
    by_label(at.text_area, "事件摘要").input("測試主機遭未授權存取")
    click(at, "立即通報")
    assert "已寄出 1 封通知信" in texts(at)
    [received] = mail_server.received
    assert sorted(received.rcpt_tos) == ["it@sw.example.org", "security@sw.example.org"]
    assert "測試主機遭未授權存取" in str(received.message["Subject"])
    assert {m.state for m in Store.open(web.settings).all(OutboxMessage)} == {Delivery.SENT}


def test_with_the_server_down_the_vendor_is_told_the_notice_waits_without_the_servers_name(
    web, monkeypatch
):
    port = unused_port()
    monkeypatch.setenv("TRACKER_SMTP_URL", f"smtp://127.0.0.1:{port}")
    at = page("vendor_incidents.py", "vendor.a")
    by_label(at.text_area, "事件摘要").input("測試主機遭未授權存取")
    click(at, "立即通報")
    shown = texts(at)
    assert "通知信未能寄出，已留在寄件匣" in shown and str(port) not in shown
    [notice] = Store.open(web.settings).all(OutboxMessage)
    assert notice.state is Delivery.PENDING and "無法連線" in notice.last_error


def test_a_not_legitimate_finding_saved_in_the_web_app_reaches_the_ethics_unit_at_once(
    web, mail_server, monkeypatch
):
    monkeypatch.setenv("TRACKER_SMTP_URL", mail_server.url())
    audit, records = audit_with_records(web)
    at = page("self_audits.py", "admin1")
    at.session_state[f"findings_{audit.id}"] = {
        "edited_rows": {1: {"查核結果": "不合法", "說明": "查詢對象非承辦個案"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    click(at, "儲存查核結果")
    [received] = mail_server.received
    assert sorted(received.rcpt_tos) == ["ethics@sw.example.org", "it@sw.example.org"]
    assert "違規通知" in str(received.message["Subject"])
    body = received.message.get_body(("plain",)).get_content()
    assert "查詢對象非承辦個案" in body and records[1].account in body


def test_the_outbox_page_lists_messages_with_reasons_and_sends_the_pending_ones(
    web, mail_server, monkeypatch
):
    monkeypatch.setenv("TRACKER_SMTP_URL", f"smtp://127.0.0.1:{unused_port()}")
    report(web, contract_id="c-a")
    at = page("outbox.py", "it.office")
    assert list(at.dataframe[0].value["狀態"]) == ["待寄出"]
    click(at, "立即寄出待寄郵件（1 封）")
    assert "無法連線至郵件伺服器" in texts(at)
    table = at.dataframe[0].value
    assert list(table["狀態"]) == ["寄送失敗"] and "無法連線" in table["原因"][0]

    monkeypatch.setenv("TRACKER_SMTP_URL", mail_server.url())
    streamlit.cache_resource.clear()
    forget_stores()  # the next page opens the folder again, with the environment as it is now
    at = page("outbox.py", "it.office")
    click(at, "立即寄出待寄郵件（1 封）")
    assert "已寄出 1 封" in texts(at)
    assert len(mail_server.received) == 1
    assert list(at.dataframe[0].value["狀態"]) == ["已寄出"]


def test_without_a_mail_server_the_outbox_page_says_so_and_cannot_send(web):
    report(web, contract_id="c-a")
    at = page("outbox.py", "it.office")
    assert "未設定郵件伺服器 TRACKER_SMTP_URL" in texts(at)
    assert by_label(at.button, "立即寄出待寄郵件（1 封）").disabled


def test_the_outbox_page_is_the_it_offices_only(web):
    at = page("outbox.py", "vendor.a")
    assert "您沒有權限檢視此頁面" in texts(at)


def test_a_vendor_sets_its_own_addresses_and_a_bad_one_changes_nothing(web):
    at = page("vendor_contacts.py", "vendor.a")
    by_label(at.text_area, "通知電子郵件").input("pm@beichen.example.org\nnot-an-address")
    click(at, "儲存")
    assert "not-an-address" in texts(at)
    assert Store.open(web.settings).require(Vendor, "v-a").contact_emails == (
        "a1@beichen.example.org",
        "a2@beichen.example.org",
    )
    by_label(at.text_area, "通知電子郵件").input("pm@beichen.example.org")
    click(at, "儲存")
    assert Store.open(web.settings).require(Vendor, "v-a").contact_emails == (
        "pm@beichen.example.org",
    )


def test_the_it_office_edits_an_agencys_role_addresses(web):
    at = page("vendors_admin.py", "it.office")
    by_label(at.selectbox, "編輯機關通知信箱").set_value("ag-dv").run()
    by_label(at.text_area, "政風單位").input("ethics-new@dv.example.org")
    click(at, "儲存機關通知信箱")
    agency = Store.open(web.settings).require(Agency, "ag-dv")
    assert agency.ethics_contact_emails == ("ethics-new@dv.example.org",)
    assert agency.manager_emails == ("boss@dv.example.org",)  # the others unchanged


def test_the_it_office_sets_a_vendors_reminder_addresses_in_the_vendor_form(web):
    at = page("vendors_admin.py", "it.office")
    by_label(at.selectbox, "編輯廠商").set_value("v-b").run()
    by_label(at.text_area, "通知電子郵件（每行一個，收到期提醒）").input("x@lian.example.org")
    click(at, "儲存廠商")
    assert Store.open(web.settings).require(Vendor, "v-b").contact_emails == ("x@lian.example.org",)
