"""Evidence: a stored file that proves one obligation for one subject, with its review state; and the pledge forms the tool issues."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from tracker.domain.enums import ReviewState, SubjectKind


@dataclass(frozen=True)
class Evidence:
    """One uploaded file proving an obligation for a subject.

    The file itself lives under the evidence folder by its ``sha256``; the
    uploader's file name is kept only as ``filename`` metadata.
    ``effective`` is the document's own date, separate from ``uploaded_at``.
    ``valid_until`` is set on approval from the evidence kind's validity
    (:func:`tracker.compliance.validity.valid_until`).
    ``superseded_by`` names the evidence whose approval replaced this approved one; if
    that approval is corrected, this one is approved again
    (:func:`tracker.services.corrections.correct_review`).
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
    superseded_by: str | None = None
    inspection: dict = field(default_factory=dict)
    form_number: str | None = None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class IssuedForm:
    """A pre-filled pledge form handed out by the IT office (point 十); ``id`` is its form number."""

    id: str
    staff_id: str
    contract_id: str
    vendor_id: str
    issued_by: str
    issued_at: object = None
