"""Fixtures for the accounts register and the self-audit: a store with one agency and a vendor."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.core.idnumbers import mask_id
from tracker.domain.vendors import Agency, Contract, Vendor, VendorStaff
from tracker.services import account_application, account_changes
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
