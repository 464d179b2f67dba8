"""Where reminders and notices go: a vendor's contact addresses, an agency's role addresses.

Addresses are checked here, on entry (tracker.notify.addresses.check_addresses):
a bad one refuses the whole save with a message naming the field and the
address, and nothing changes.  The IT office sets any vendor's and agency's
addresses; a vendor sets only its own (the caller passes the signed-in
vendor's id, never one from the screen).
"""

from __future__ import annotations

from dataclasses import replace

from tracker.domain.outbox import Audience
from tracker.domain.vendors import Agency, Vendor
from tracker.notify.addresses import AGENCY_FIELDS, AUDIENCE_LABELS, check_addresses
from tracker.storage.store import Store

AGENCY_AUDIENCES = tuple(AGENCY_FIELDS)


def set_vendor_emails(store: Store, actor: str, vendor_id: str, emails) -> Vendor:
    """Replace the vendor's reminder addresses (a text of addresses or a list; empty clears them)."""
    vendor = store.require(Vendor, vendor_id)
    checked = check_addresses(emails or (), "通知電子郵件")
    if checked == vendor.contact_emails:
        return vendor
    return store.put(
        replace(vendor, contact_emails=checked), actor=actor, action="vendor_emails_changed"
    )


def set_agency_addresses(store: Store, actor: str, agency_id: str, **by_role) -> Agency:
    """Replace some of an agency's role addresses: keyword = audience value
    (``it_office``, ``account_admin``, ``security_contact``, ``ethics_contact``,
    ``manager``), value = a text of addresses or a list.  Roles not given keep theirs.
    """
    agency = store.require(Agency, agency_id)
    changes = {}
    for role, value in by_role.items():
        audience = Audience(role)
        if audience not in AGENCY_FIELDS:
            raise ValueError(role)
        changes[AGENCY_FIELDS[audience]] = check_addresses(value or (), AUDIENCE_LABELS[audience])
    changed = replace(agency, **changes)
    if changed == agency:
        return agency
    return store.put(changed, actor=actor, action="agency_emails_changed")


def missing_addresses(store: Store) -> list[tuple[str, str]]:
    """(who, role) pairs that have no address: vendors, and each agency role."""
    out = [
        (v.name, AUDIENCE_LABELS[Audience.VENDOR])
        for v in store.all(Vendor)
        if not v.contact_emails
    ]
    for agency in store.all(Agency):
        for audience, name in AGENCY_FIELDS.items():
            if not getattr(agency, name):
                out.append((agency.name, AUDIENCE_LABELS[audience]))
    return sorted(out)
