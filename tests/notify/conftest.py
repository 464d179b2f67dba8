"""Fixtures for the reminders: a small world built through the services, and real SMTP servers.

The world: 本局 (ag-sw) and one affiliated agency (ag-dv) whose IT office
shares 本局's address; vendors v-a (two addresses), v-b (one) and v-c (none),
each with a contract that began on 2026-01-01 and one staff member who starts
on :data:`START` (a Thursday), so the staff member's pledges fall due that day.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from tracker.core.config import Settings
from tracker.domain.vendors import Vendor
from tracker.services import vendors as v
from tracker.services.contacts import set_agency_addresses
from tracker.storage.store import Store

from .mailserver import MailServer, self_signed_certificate, server_context

ROOT_DIR = Path(__file__).resolve().parents[2]
START = date(2026, 3, 5)  # a Thursday: the staff members' pledges are due that day
ACTOR = "it.office"
BASE_URL = "https://tracker.example.org/nia"
SENDER = "資訊室 <noreply@sw.example.org>"
_LETTERS = dict(zip("ABCDEFGHJKLMNPQRSTUVXYWZIO", range(10, 36), strict=True))

AGENCY_ADDRESSES = {
    "ag-sw": {
        "it_office": "it@sw.example.org",
        "account_admin": "admin@sw.example.org",
        "security_contact": "security@sw.example.org",
        "ethics_contact": "ethics@sw.example.org",
        "manager": "boss@sw.example.org",
    },
    "ag-dv": {
        "it_office": "IT@sw.example.org",  # the same mailbox as 本局's, written differently
        "account_admin": "admin@dv.example.org",
        "security_contact": "security@dv.example.org",
        "ethics_contact": "ethics@dv.example.org",
        "manager": "boss@dv.example.org",
    },
}
VENDORS = {
    "v-a": ("北辰資訊股份有限公司", "a1@beichen.example.org\na2@beichen.example.org", "ag-sw"),
    "v-b": ("立安系統整合有限公司", "b@lian.example.org", "ag-dv"),
    "v-c": ("青禾數位科技股份有限公司", "", "ag-sw"),
}


def national_id(n: int) -> str:
    """A valid 身分證統一編號 A1234567x with ``n`` in its last digits."""
    digits = f"1{n:07d}"
    code = _LETTERS["A"]
    body = [code // 10, code % 10] + [int(c) for c in digits]
    total = sum(d * w for d, w in zip(body, (1, 9, 8, 7, 6, 5, 4, 3, 2, 1), strict=True))
    return f"A{digits}{(10 - total % 10) % 10}"


def ubn(n: int) -> str:
    from tracker.core.idnumbers import is_valid_ubn

    for candidate in range(10_000_000 + n * 1000, 99_999_999):
        if is_valid_ubn(f"{candidate:08d}"):
            return f"{candidate:08d}"
    raise AssertionError


def build_world(store: Store) -> None:
    v.save_agency(store, ACTOR, name="臺北市政府社會局", agency_id="ag-sw", account_admin="林佳蓉")
    v.save_agency(
        store, ACTOR, name="臺北市家庭暴力暨性侵害防治中心", agency_id="ag-dv", parent_id="ag-sw"
    )
    for agency_id, roles in AGENCY_ADDRESSES.items():
        set_agency_addresses(store, ACTOR, agency_id, **roles)
    for n, (vendor_id, (name, emails, agency_id)) in enumerate(VENDORS.items()):
        store.put(Vendor(vendor_id, name, ubn(n)), actor=ACTOR, action="vendor_created")
        v.save_vendor(
            store, ACTOR, name=name, ubn=ubn(n), vendor_id=vendor_id, contact_emails=emails
        )
        v.save_contract(
            store,
            ACTOR,
            vendor_id=vendor_id,
            agency_id=agency_id,
            title=f"{name[:2]}維運案",
            start=date(2026, 1, 1),
            end=date(2027, 12, 31),
            contract_id=f"c-{vendor_id[2:]}",
        )
        v.add_staff(
            store,
            ACTOR,
            contract_id=f"c-{vendor_id[2:]}",
            name=f"{name[:2]}人員",
            national_id=national_id(n),
            start=START,
            staff_id=f"s-{vendor_id[2:]}1",
        )


@pytest.fixture
def world(settings: Settings) -> Store:
    """The world in a data folder on disk (the CLI and a second store can open it)."""
    store = Store.open(settings)
    build_world(store)
    return store


@pytest.fixture
def tls_files(tmp_path):
    folder = tmp_path / "tls"
    folder.mkdir()
    return self_signed_certificate(folder)


@pytest.fixture
def mail_server():
    """A plain SMTP server that accepts everything."""
    server = MailServer().start()
    yield server
    server.stop()


@pytest.fixture
def start_server():
    """``start_server(tls=…, users=…)``: servers stopped at the end of the test."""
    servers: list[MailServer] = []

    def start(**kwargs) -> MailServer:
        servers.append(MailServer(**kwargs).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def starttls_server(tls_files):
    server = MailServer(tls="starttls", context=server_context(*tls_files)).start()
    yield server
    server.stop()


def with_mail(settings: Settings, url: str, **more) -> Settings:
    """``settings`` with a mail server, the sender and the base URL set."""
    values = {"smtp_url": url, "mail_from": SENDER, "base_url": BASE_URL, **more}
    return dataclasses.replace(settings, **values)
