"""Stable enum values of the domain: stored as snake_case English, labelled in zh-TW only by the UI and documents."""

from __future__ import annotations

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
