"""Pre-filled 專案作業人員保密切結書 (8.6, 8.8; the form is set by the IT office, point 十).

One use case for both front doors: the IT office prints a form for any vendor's staff member, a vendor
for its own current staff.  Each form gets a fresh number (``PLG-<ROC year>-<hex>``) recorded as issued
for that person, so the signed copy uploaded later is matched back to them.
"""

from __future__ import annotations

from tracker.core import clock
from tracker.core.errors import NotAllowed
from tracker.documents.pledge import DEFAULT_AGENCY, new_form_number, render_pledge_form
from tracker.domain.vendors import Agency, Contract, Vendor, VendorStaff
from tracker.services.evidence import issue_form
from tracker.storage.store import Store


def prepare_pledge(
    store: Store, actor: str, staff_id: str, *, vendor_scope: str | None = None
) -> tuple[str, bytes]:
    """(form number, PDF) of a new pre-filled pledge for ``staff_id``, recorded as issued.

    ``vendor_scope`` is the asking vendor user's vendor: another vendor's staff is refused, and so
    is a person who has left.
    """
    person = store.require(VendorStaff, staff_id)
    if vendor_scope is not None and person.vendor_id != vendor_scope:
        raise NotAllowed("無權存取此資料", f"{staff_id} belongs to another vendor")
    if person.end is not None and person.end < clock.today():
        raise NotAllowed(f"{person.name} 已離職，無需簽署切結書", f"{staff_id} has left")
    contract = store.require(Contract, person.contract_id)
    vendor = store.require(Vendor, person.vendor_id)
    agency = store.get(Agency, contract.agency_id)
    number = new_form_number(clock.today())
    data = render_pledge_form(
        form_number=number,
        staff_name=person.name,
        vendor_name=vendor.name,
        contract_title=contract.title,
        agency_name=agency.name if agency else DEFAULT_AGENCY,
        issued_on=clock.today(),
    )
    issue_form(store, actor, person.id, number)
    return number, data


def pledge_file_name(person: VendorStaff, number: str) -> str:
    """``保密切結書-王小明-PLG-115-0A1B2C3D.pdf``."""
    return f"保密切結書-{person.name}-{number}.pdf"
