"""What the status engine produces and what a rule may look at: one result per (obligation × subject), and the context of one subject."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from tracker.compliance.catalogue import Catalogue, Obligation
from tracker.domain.enums import Status, SubjectKind
from tracker.domain.facts import Facts

SEVERITY = {
    Status.NOT_APPLICABLE: 0,
    Status.COMPLIANT: 1,
    Status.PENDING_REVIEW: 2,
    Status.DUE_SOON: 3,
    Status.MISSING: 4,
    Status.REJECTED: 5,
    Status.EXPIRED: 6,
    Status.OVERDUE: 7,
}


@dataclass(frozen=True)
class ObligationStatus:
    """The result for one obligation and one subject.

    ``ok`` is true when the obligation is satisfied today (``compliant``, or
    ``due_soon`` because valid evidence expires soon).  ``evidence_id`` names
    the current evidence record, if any.
    """

    obligation_id: str
    subject_kind: SubjectKind
    subject_id: str
    subject_label: str
    status: Status
    reason_zh: str
    reason_en: str
    due: date | None = None
    ok: bool = False
    vendor_id: str | None = None
    contract_id: str | None = None
    agency_id: str | None = None
    evidence_id: str | None = None


@dataclass
class Context:
    """What a predicate or check may look at for one subject."""

    subject: object
    kind: SubjectKind
    label: str
    catalogue: Catalogue
    facts: Facts
    now: datetime
    contract: object = None
    vendor_id: str | None = None
    agency_id: str | None = None
    start: date | None = None
    obligation: Obligation | None = None
    vendor_staff: tuple = ()  # current vendor staff as rules.identity.Person (5.7)
