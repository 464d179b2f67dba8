"""A small world for the transaction tests: one agency, one vendor with a contract and a staff member.

Files are made on the fly: pledges by the application's own form renderer,
query-log exports with the csv module.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

from tracker.core import clock
from tracker.domain.vendors import Agency, Contract, Vendor, VendorStaff
from tracker.storage.store import Store

VENDOR_NAME = "北辰資訊股份有限公司"
STAFF_NAME = "王小明"


def seed(store: Store) -> None:
    today = clock.today()
    store.put_many(
        [
            Agency("ag", "臺北市政府社會局", account_admin="林佳蓉"),
            Vendor("v-a", VENDOR_NAME, "04595257"),
            Contract(
                "c-a",
                "v-a",
                "ag",
                "委託案",
                today - timedelta(days=100),
                today + timedelta(days=200),
            ),
            VendorStaff("s1", "v-a", "c-a", STAFF_NAME, "A1****789", today - timedelta(days=100)),
        ],
        actor="t",
        action="seed",
    )


def submitted(store: Store, blobs, count: int) -> None:
    """``count`` staff members of contract c-a, each with a submitted pledge awaiting review."""
    from tracker.domain.enums import SubjectKind
    from tracker.domain.evidence import Evidence

    today, records = clock.today(), []
    for n in range(count):
        sha = blobs.put(f"%PDF-1.4 pledge {n}".encode())
        records.append(VendorStaff(f"s-{n}", "v-a", "c-a", f"人員{n}", "A1****789", today))
        records.append(
            Evidence(
                f"ev-{n:04d}",
                "8.6",
                SubjectKind.VENDOR_STAFF,
                f"s-{n}",
                "staff_pledge",
                sha,
                f"{n}.pdf",
                "vendor.a",
                clock.now(),
                vendor_id="v-a",
                agency_id="ag",
                effective=today,
            )
        )
    store.put_many(records, actor="t", action="seed")


def pledge(tag: str) -> bytes:
    """A pledge PDF for staff s1; ``tag`` makes its bytes unique (a new form number)."""
    from tracker.documents.pledge import new_form_number, render_pledge_form

    del tag  # the form number is random, so every call gives other bytes
    return render_pledge_form(
        form_number=new_form_number(),
        staff_name=STAFF_NAME,
        vendor_name=VENDOR_NAME,
        contract_title="委託案",
        issued_on=date.today(),
    )


def query_log_csv(tag: str, rows: int = 20) -> bytes:
    """A small NIA query-log export; ``tag`` goes into the purpose column, so the bytes differ."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["查詢時間", "使用者帳號", "查詢項目", "查詢對象證號", "查詢事由"])
    start = datetime(2025, 3, 3, 9, 0)
    for n in range(rows):
        writer.writerow(
            [
                (start + n * timedelta(minutes=7)).strftime("%Y-%m-%d %H:%M:%S"),
                f"user{n % 3:02d}",
                "入出境資料查詢",
                f"A{100000000 + n * 7919:09d}",
                f"個案訪視 {tag}",
            ]
        )
    return out.getvalue().encode("utf-8")
