"""The domain model: plain, frozen records with no I/O.

Stored enum values are stable snake_case English and never change; zh-TW labels
live in :mod:`tracker.documents.labels`.  Records refer to each other by string id.  Dates
are :class:`datetime.date`, instants are timezone-aware :class:`datetime.datetime`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Role(StrEnum):
    """Who is responsible for an obligation, and who signs in to the app."""

    USER = "user"
    UNIT_HEAD = "unit_head"
    ACCOUNT_ADMIN = "account_admin"
    IT_OFFICE = "it_office"
    MANAGER = "manager"
    VENDOR = "vendor"
    VENDOR_STAFF = "vendor_staff"
    ETHICS_UNIT = "ethics_unit"
    AGENCY = "agency"


class SubjectKind(StrEnum):
    """What an obligation applies to."""

    AGENCY = "agency"
    VENDOR = "vendor"
    CONTRACT = "contract"
    VENDOR_STAFF = "vendor_staff"
    DEDICATED_PC = "dedicated_pc"
    NIA_ACCOUNT = "nia_account"
    AUDIT = "audit"
    INCIDENT = "incident"


class Status(StrEnum):
    """The compliance result of one obligation for one subject."""

    NOT_APPLICABLE = "not_applicable"
    MISSING = "missing"
    PENDING_REVIEW = "pending_review"
    COMPLIANT = "compliant"
    REJECTED = "rejected"
    DUE_SOON = "due_soon"
    EXPIRED = "expired"
    OVERDUE = "overdue"


class ReviewState(StrEnum):
    """Workflow state of one piece of evidence (kept apart from the compliance result)."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


class ProtectionLevel(StrEnum):
    """System protection level of a contract's system (資通系統防護需求等級)."""

    HIGH = "high"
    MEDIUM = "medium"
    NORMAL = "normal"


@dataclass(frozen=True)
class Agency:
    """本局 or one of its affiliated agencies (所屬機關)."""

    id: str
    name: str
    parent_id: str | None = None
    account_admin: str = ""


@dataclass(frozen=True)
class Vendor:
    """An outsourced IT contractor; ``ubn`` is its checksummed 統一編號."""

    id: str
    name: str
    ubn: str
    contact: str = ""


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

    def is_active(self, today: date) -> bool:
        return self.start <= today <= self.end


@dataclass(frozen=True)
class VendorStaff:
    """A person a vendor assigns to a contract (專案作業人員).

    ``id_masked`` is the only form of the national ID this project keeps.
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

    def has_left(self, today: date) -> bool:
        return self.end is not None and self.end <= today


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
    """A security incident a vendor must report at once (8.3)."""

    id: str
    vendor_id: str
    contract_id: str | None
    summary: str
    known_at: datetime
    reported_at: datetime | None = None
    measures: str = ""
    closed: bool = False


@dataclass(frozen=True)
class Evidence:
    """One uploaded file proving an obligation for a subject.

    The file itself lives under the evidence folder by its ``sha256``; the
    uploader's file name is kept only as ``filename`` metadata.
    ``effective`` is the document's own date, separate from ``uploaded_at``.
    ``valid_until`` is set on approval from the catalogue's timing rule.
    """

    id: str
    obligation_id: str
    subject_kind: SubjectKind
    subject_id: str
    kind: str
    sha256: str
    filename: str
    uploaded_by: str
    uploaded_at: datetime
    vendor_id: str | None = None
    agency_id: str | None = None
    effective: date | None = None
    valid_until: date | None = None
    state: ReviewState = ReviewState.SUBMITTED
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    review_reason: str = ""
    supersedes: str | None = None
    inspection: dict = field(default_factory=dict)
    form_number: str | None = None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class SelfAudit:
    """A self-audit of one agency's query records for one period (7.2).

    ``closed_on`` is set once every sampled record has a finding.
    ``sample_ratio`` (``"1/1000"``) and ``sample_floor`` are the catalogue's
    7.2 rule as it stood when the audit was opened; ``sample_size`` counts the
    random draw, ``risk_picks`` the records the account manager added on top.
    ``violations`` counts "not legitimate" findings; the case they open is
    ``notified_on``/``notified_units`` (7.3), ``corrective_action`` with
    ``corrective_due``/``corrective_done_on`` (7.4) and ``recommendation`` (7.5).
    ``record_pdf_id``/``record_xlsx_id`` name the audit record's evidence.
    """

    id: str
    agency_id: str
    period_start: date
    period_end: date
    population: int = 0
    sample_size: int = 0
    seed: int = 0
    opened_by: str = ""
    opened_at: datetime | None = None
    closed_on: date | None = None
    violations: int = 0
    notified_on: date | None = None
    corrective_due: date | None = None
    corrective_done_on: date | None = None
    recommendation: str = ""
    sample_ratio: str = ""
    sample_floor: int = 0
    risk_picks: int = 0
    closed_by: str = ""
    notified_units: str = ""
    corrective_action: str = ""
    record_pdf_id: str = ""
    record_xlsx_id: str = ""


@dataclass(frozen=True)
class NiaAccount:
    """An internal user's account on the NIA systems (point 五).

    ``state`` follows the application flow: draft → first_review → second_review
    → active (from ``active_from``, the date the NIA confirmed); ``removal_due``
    is set when the holder departs, transfers or is suspended, and
    ``removed_on`` when the account was cancelled.  Further states:
    ``nia_review`` (sent to the NIA after the second review), ``rejected``
    (``rejection_reason`` says why) and ``cancelled``.
    ``login`` is the account name as the NIA query logs print it;
    ``holder_id_masked`` the holder's masked national ID (the full number is
    never kept); ``applied_by`` who drafted the application; ``left_reason``
    one of resigned/left/suspended/transferred; ``proxy_for`` the people this
    account queries for under a proxy authorisation (5.6).
    """

    id: str
    agency_id: str
    holder: str
    unit: str
    state: str = "draft"
    legal_basis: str = ""
    business: str = ""
    channels: tuple[str, ...] = ()
    active_from: date | None = None
    holder_left_on: date | None = None
    removal_due: date | None = None
    removed_on: date | None = None
    first_reviewed_by: str = ""
    second_reviewed_by: str = ""
    ips: tuple[str, ...] = ()
    proxy_for: tuple[str, ...] = ()
    login: str = ""
    holder_id_masked: str = ""
    applied_by: str = ""
    rejection_reason: str = ""
    left_reason: str = ""


@dataclass(frozen=True)
class Facts:
    """Everything the status engine looks at, as one immutable snapshot.

    ``log_chain_ok`` says whether the activity log verified (7.1);
    ``retention_overdue`` counts records kept past their period (6.2);
    ``flagged_accounts`` holds NIA account ids with a "not legitimate" finding
    that is not yet resolved (5.5, 6.1).
    """

    agencies: tuple[Agency, ...] = ()
    vendors: tuple[Vendor, ...] = ()
    contracts: tuple[Contract, ...] = ()
    staff: tuple[VendorStaff, ...] = ()
    pcs: tuple[DedicatedPC, ...] = ()
    incidents: tuple[Incident, ...] = ()
    accounts: tuple[NiaAccount, ...] = ()
    audits: tuple[SelfAudit, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    log_chain_ok: bool = True
    retention_overdue: int = 0
    flagged_accounts: frozenset[str] = frozenset()
