"""The parties and what they bring: agencies, vendors, contracts, vendor staff, dedicated PCs, incidents (point 八)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from tracker.domain.enums import ProtectionLevel


@dataclass(frozen=True)
class Agency:
    """本局 or one of its affiliated agencies (所屬機關).

    The ``*_emails`` fields are where reminders and notices go (tracker.notify):
    the IT office (資訊室), the account manager (機關帳號管理者), the security
    contact (資安聯絡人), the ethics unit (政風單位) and the managers (主管).
    Empty means nobody of that role is told by e-mail.
    """

    id: str
    name: str
    parent_id: str | None = None
    account_admin: str = ""
    it_office_emails: tuple[str, ...] = ()
    account_admin_emails: tuple[str, ...] = ()
    security_contact_emails: tuple[str, ...] = ()
    ethics_contact_emails: tuple[str, ...] = ()
    manager_emails: tuple[str, ...] = ()


@dataclass(frozen=True)
class Vendor:
    """An outsourced IT contractor; ``ubn`` is its checksummed 統一編號.

    ``contact_emails`` receive the vendor's reminders (tracker.notify); empty
    means the vendor is not reminded by e-mail.
    """

    id: str
    name: str
    ubn: str
    contact: str = ""
    contact_emails: tuple[str, ...] = ()


@dataclass(frozen=True)
class Contract:
    """One outsourcing engagement (委託案) of a vendor with an agency."""

    id: str
    vendor_id: str
    agency_id: str
    title: str
    start: date
    end: date
    handles_personal_data: bool = True
    custom_development: bool = False
    protection_level: ProtectionLevel = ProtectionLevel.NORMAL
    amount: int = 0


@dataclass(frozen=True)
class VendorStaff:
    """A person a vendor assigns to a contract (專案作業人員).

    ``id_masked`` is the only readable form of the national ID this project keeps;
    ``id_digest`` is a keyed digest of the full number (:mod:`tracker.services.identity`),
    ``""`` where the full number was never typed, used only to match records (5.7).
    ``end`` is the departure date, ``None`` while the person still works on it.
    ``accounts`` names the accounts the person holds on agency systems;
    ``accounts_removed_on`` is when the last of them was disabled or deleted.
    """

    id: str
    vendor_id: str
    contract_id: str
    name: str
    id_masked: str
    start: date
    end: date | None = None
    touches_sensitive_data: bool = True
    accounts: tuple[str, ...] = ()
    accounts_removed_on: date | None = None
    id_digest: str = ""


@dataclass(frozen=True)
class DedicatedPC:
    """A PC used only for one contract (8.11), with the vendor's attestations."""

    id: str
    vendor_id: str
    contract_id: str
    asset_tag: str
    location: str
    offline: bool = False
    exclusive: bool = False
    licensed_software_only: bool = False
    last_inspected: date | None = None


@dataclass(frozen=True)
class Incident:
    """A security incident a vendor must report at once (8.3), and how it was handled.

    ``measures`` is the vendor's 因應措施, added to over time (each addition stamped).  The IT
    office acknowledges it (``acknowledged_at``/``acknowledged_by``), may accept a late report with
    a recorded ``late_reason``, and closes it with its ``final_report`` (``closed``, ``closed_at``,
    ``closed_by``).
    """

    id: str
    vendor_id: str
    contract_id: str | None
    summary: str
    known_at: datetime
    reported_at: datetime | None = None
    measures: str = ""
    closed: bool = False
    acknowledged_at: datetime | None = None
    acknowledged_by: str = ""
    late_reason: str = ""
    final_report: str = ""
    closed_at: datetime | None = None
    closed_by: str = ""
