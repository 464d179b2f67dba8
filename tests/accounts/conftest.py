"""Fixtures for the accounts register and the self-audit: a store with one agency and a vendor."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import streamlit
from streamlit.testing.v1 import AppTest

from app_pages._common import forget_stores
from app_pages._session import TOKEN_KEY
from tracker.core.idnumbers import mask_id
from tracker.domain.vendors import Agency, Contract, Vendor, VendorStaff
from tracker.services import (
    account_application,
    account_changes,
    audit_findings,
    audit_sampling,
    log_imports,
    users,
)
from tracker.services.sessions import REGISTRY
from tracker.storage.blobs import BlobStore
from tracker.storage.store import Store

ACTOR = "admin.lin"
HEAD = "head.wang"  # the unit head, who takes the first review (point 五)
AGENCY_ID = "ag-sw"
_LETTERS = dict(zip("ABCDEFGHJKLMNPQRSTUVXYWZIO", range(10, 36), strict=True))


def national_id(letter: str, digits8: str) -> str:
    """A valid 身分證統一編號 ``letter`` + ``digits8`` + the check digit that makes it pass."""
    code = _LETTERS[letter]
    body = [code // 10, code % 10] + [int(c) for c in digits8]
    total = sum(d * w for d, w in zip(body, (1, 9, 8, 7, 6, 5, 4, 3, 2, 1), strict=True))
    return f"{letter}{digits8}{(10 - total % 10) % 10}"


VENDOR_STAFF_ID = national_id("A", "12345678")
HOLDER_ID = national_id("B", "22345678")


@pytest.fixture
def store() -> Store:
    store = Store.in_memory()
    store.put(
        Agency(AGENCY_ID, "臺北市政府社會局", account_admin="林佳蓉"), actor=ACTOR, action="seed"
    )
    store.put(Vendor("v", "北辰資訊股份有限公司", "04595257"), actor=ACTOR, action="seed")
    store.put(
        Contract("c", "v", AGENCY_ID, "維運案", date(2025, 1, 1), date(2099, 12, 31)),
        actor=ACTOR,
        action="seed",
    )
    store.put(
        VendorStaff("s", "v", "c", "王小明", mask_id(VENDOR_STAFF_ID), date(2025, 1, 10)),
        actor=ACTOR,
        action="seed",
    )
    return store


def draft(store: Store, holder: str = "陳怡君", national: str = HOLDER_ID, **kw):
    fields = dict(
        agency_id=AGENCY_ID,
        holder=holder,
        national_id=national,
        unit="社會救助科",
        legal_basis="social_assistance_act",
        business="低收入戶資格審核",
        channels=["online_service"],
        login="tpsw0101",
    )
    fields.update(kw)
    return account_application.register_account(store, "user.chen", **fields)


def activate(store: Store, active_from: date, **kw):
    """An account taken through the whole flow, in service from ``active_from``."""
    account = draft(store, **kw)
    account_application.submit_account(store, "user.chen", account.id)
    account_application.first_review(store, HEAD, account.id, approve=True, reviewer="科長 王大明")
    account_application.second_review(store, ACTOR, account.id, approve=True)
    account_application.confirm_active(store, ACTOR, account.id, active_from)
    return account_changes.set_ips(store, ACTOR, account.id, ["10.20.0.11"])


def query_log_csv(
    rows: int,
    start: date,
    days: int = 180,
    *,
    seed: int = 7,
    accounts: tuple[str, ...] = ("tpsw0101", "tpsw0102", "tpsw0103", "tpsw0104"),
) -> bytes:
    """An NIA query-log export with ``rows`` records spread over ``days`` from ``start`` (CSV, UTF-8).

    Most queries fall in office hours with a purpose; every 50th is at 21:xx and
    every 40th has no purpose, so risk picks have something to find.
    """
    import csv
    import io
    import random
    from datetime import datetime, timedelta

    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["查詢時間", "使用者帳號", "查詢項目", "查詢對象證號", "查詢事由", "來源IP"])
    for n in range(rows):
        day = start + timedelta(days=n * days // max(rows, 1))
        hour = 21 if n % 50 == 0 else rng.randint(9, 16)
        at = datetime(day.year, day.month, day.day, hour, rng.randint(0, 59), rng.randint(0, 59))
        subject = national_id(rng.choice("ABCDEFGH"), f"{rng.randint(10_000_000, 29_999_999)}")
        purpose = "" if n % 40 == 0 else f"低收入戶資格審核 案號 SA-{n:05d}"
        writer.writerow(
            [
                at.strftime("%Y-%m-%d %H:%M:%S"),
                accounts[n % len(accounts)],
                "國人入出國資訊",
                subject,
                purpose,
                f"10.20.0.{11 + n % len(accounts)}",
            ]
        )
    return out.getvalue().encode("utf-8")


# --- the pages, in Streamlit's AppTest -------------------------------------------------


PAGES = Path(__file__).resolve().parents[2] / "app_pages"
PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def app_store(settings, monkeypatch):
    """A data folder on disk that the pages open through ``Settings.from_env()``."""
    monkeypatch.setenv("TRACKER_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TRACKER_EVIDENCE_DIR", str(settings.evidence_dir))
    monkeypatch.setenv("TRACKER_TRUST_DIR", str(settings.trust_dir))
    streamlit.cache_resource.clear()
    forget_stores()
    store = Store.open(settings)
    store.put(
        Agency(AGENCY_ID, "臺北市政府社會局", account_admin="林佳蓉"), actor="t", action="seed"
    )
    store.put(Vendor("v", "北辰資訊股份有限公司", "04595257"), actor="t", action="seed")
    store.put(
        Contract("c", "v", AGENCY_ID, "維運案", date(2025, 1, 1), date(2099, 12, 31)),
        actor="t",
        action="seed",
    )
    store.put(
        VendorStaff("s", "v", "c", "王小明", mask_id(VENDOR_STAFF_ID), date(2025, 1, 10)),
        actor="t",
        action="seed",
    )
    for name, role in (("admin1", "account_admin"), ("boss", "manager")):
        users.create_user(store, "t", username=name, role=role, password=PASSWORD)
    yield store
    streamlit.cache_resource.clear()
    forget_stores()


def page(name: str, username: str) -> AppTest:
    at = AppTest.from_file(str(PAGES / name), default_timeout=60)
    at.session_state[TOKEN_KEY] = REGISTRY.open(username)
    return at.run()


def by_label(widgets, label: str):
    return next(w for w in widgets if w.label == label)


def audit_ready(store, settings):
    """An imported export and an opened audit whose every record has a finding."""
    logs, blobs = log_imports.log_store(settings), BlobStore(settings.evidence_dir)
    log_imports.import_query_log(
        store, logs, blobs, "t", agency_id=AGENCY_ID, data=query_log_csv(500, date(2025, 1, 1))
    )
    audit = audit_sampling.open_audit(
        store,
        logs,
        "admin1",
        agency_id=AGENCY_ID,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 6, 30),
        seed=7,
    )
    rows = [
        (r.id, "legitimate", "", "SA-1") for r in audit_sampling.sampled_records(store, audit.id)
    ]
    audit_findings.record_findings(store, "admin1", rows)
    return audit
