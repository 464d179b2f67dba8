"""Data helpers for the app tests: foreign markers for isolation checks, a missing pledge to upload."""

from __future__ import annotations

import re

from tracker.core import clock
from tracker.documents.pledge import new_form_number, render_pledge_form
from tracker.domain.enums import Status
from tracker.domain.vendors import Contract, DedicatedPC, Incident, Vendor, VendorStaff
from tracker.services.compliance import compliance_report
from tracker.storage.store import Store


def foreign_markers(store: Store, vendor_id: str) -> tuple[list[str], re.Pattern]:
    """Texts and an id pattern that belong to vendors other than ``vendor_id``."""
    texts: list[str] = []
    ids: list[str] = []
    for vendor in store.all(Vendor):
        if vendor.id == vendor_id:
            continue
        texts += [vendor.name, vendor.ubn]
        ids.append(vendor.id)
        texts += [c.title for c in store.all(Contract, vendor=vendor.id)]
        ids += [c.id for c in store.all(Contract, vendor=vendor.id)]
        texts += [s.name for s in store.all(VendorStaff, vendor=vendor.id)]
        texts += [s.id_masked for s in store.all(VendorStaff, vendor=vendor.id)]
        ids += [s.id for s in store.all(VendorStaff, vendor=vendor.id)]
        texts += [p.asset_tag for p in store.all(DedicatedPC, vendor=vendor.id)]
        texts += [i.summary for i in store.all(Incident, vendor=vendor.id)]
    own_names = {s.name for s in store.all(VendorStaff, vendor=vendor_id)}
    texts = [t for t in texts if t and t not in own_names]  # two people may share a name
    pattern = re.compile(
        r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, ids)) + r")(?![A-Za-z0-9-])"
    )
    return texts, pattern


def leaks(text: str, markers: tuple[list[str], re.Pattern]) -> list[str]:
    texts, pattern = markers
    return [t for t in texts if t in text] + pattern.findall(text)


def staff_missing_pledge(store: Store, vendor_id: str) -> VendorStaff:
    """A current staff member of the vendor whose 8.8 pledge is missing or overdue."""
    for row in compliance_report(store, vendor_id=vendor_id).rows:
        if (
            row.obligation_id == "8.8"
            and row.status in (Status.MISSING, Status.OVERDUE, Status.DUE_SOON)
            and row.evidence_id is None
        ):
            return store.require(VendorStaff, row.subject_id)
    raise AssertionError(f"the demo data has no missing pledge for {vendor_id}")


def pledge_pdf(store: Store, person: VendorStaff) -> bytes:
    contract = store.require(Contract, person.contract_id)
    vendor = store.require(Vendor, person.vendor_id)
    return render_pledge_form(
        form_number=new_form_number(),
        staff_name=person.name,
        vendor_name=vendor.name,
        contract_title=contract.title,
        issued_on=clock.today(),
    )
