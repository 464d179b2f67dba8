"""Evidence intake and review (point 八's paperwork, and 5.1, 5.6, 7.2 for the agency).

``upload_evidence`` inspects the file (in a sandbox, see :mod:`tracker.inspection.inspector`),
refuses an unusable one, stores it once by content hash and records it as
``submitted``; a newer upload for the same subject and kind supersedes the older
record, which is kept.  ``review_evidence`` is the IT office's decision.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from tracker.compliance.catalogue import Catalogue
from tracker.compliance.loader import default_catalogue
from tracker.compliance.validity import valid_until
from tracker.core import clock
from tracker.core.errors import InvalidInput, NotAllowed
from tracker.domain.accounts import NiaAccount
from tracker.domain.audits import SelfAudit
from tracker.domain.enums import ProtectionLevel, ReviewState, SubjectKind
from tracker.domain.evidence import Evidence, IssuedForm
from tracker.domain.subjects import subject_label
from tracker.domain.vendors import Agency, Contract, DedicatedPC, Incident, Vendor, VendorStaff
from tracker.services.vendors import clean_text
from tracker.storage.blobs import BlobStore
from tracker.storage.registry import new_id
from tracker.storage.staging import Transaction
from tracker.storage.store import Store

SUBJECT_TYPES = {
    SubjectKind.AGENCY: Agency,
    SubjectKind.VENDOR: Vendor,
    SubjectKind.CONTRACT: Contract,
    SubjectKind.VENDOR_STAFF: VendorStaff,
    SubjectKind.DEDICATED_PC: DedicatedPC,
    SubjectKind.INCIDENT: Incident,
    SubjectKind.NIA_ACCOUNT: NiaAccount,
    SubjectKind.AUDIT: SelfAudit,
}
REVIEWER_ROLES = {"it_office"}


def subject_owner(
    store: Store, kind: SubjectKind, subject_id: str
) -> tuple[object, str | None, str | None]:
    """The subject record with its vendor id and agency id (``None`` where it has none)."""
    record = store.require(SUBJECT_TYPES[SubjectKind(kind)], subject_id)
    vendor_id = getattr(record, "vendor_id", None)
    if kind == SubjectKind.VENDOR:
        vendor_id = record.id
    agency_id = getattr(record, "agency_id", None)
    if kind == SubjectKind.AGENCY:
        agency_id = record.id
    if agency_id is None and getattr(record, "contract_id", None):
        contract = store.get(Contract, record.contract_id)
        agency_id = contract.agency_id if contract else None
    return record, vendor_id, agency_id


def expected_texts(store: Store, kind: str, subject) -> list[str]:
    """Texts an upload should contain: the person's and the vendor's names on a pledge."""
    texts: list[str] = []
    if isinstance(subject, VendorStaff):
        texts.append(subject.name)
        vendor = store.get(Vendor, subject.vendor_id)
        if vendor:
            texts.append(vendor.name)
    elif isinstance(subject, Contract):
        texts.append(subject.title)
    return texts


def protection_level(store: Store, subject) -> ProtectionLevel | None:
    """The protection level of the subject's contract (``None`` without a contract):
    the catalogue's texts for that level are required of the upload."""
    if isinstance(subject, Contract):
        return subject.protection_level
    contract_id = getattr(subject, "contract_id", None)
    contract = store.get(Contract, contract_id) if contract_id else None
    return contract.protection_level if contract else None


def upload_evidence(
    store: Store,
    blobs: BlobStore,
    actor: str,
    *,
    kind: str,
    data: bytes,
    filename: str,
    obligation_id: str | None = None,
    subject_kind: SubjectKind | str | None = None,
    subject_id: str | None = None,
    effective: date | None = None,
    vendor_scope: str | None = None,
    catalogue: Catalogue | None = None,
    trust_dir=None,
    max_bytes: int | None = None,
) -> Evidence:
    """Inspect, store and record one uploaded file.

    ``vendor_scope`` is the uploading vendor's id for a vendor user: a subject of
    another vendor is refused.  When the subject is not given, a pledge whose
    text carries an issued form number is matched to that form's staff member.
    Raises :class:`InvalidInput` (nothing stored) for an unusable file.
    """
    from tracker.inspection.inspector import inspect_pdf
    from tracker.inspection.sandbox import inspections_by

    catalogue = catalogue or default_catalogue()
    if kind not in catalogue.evidence_kinds:
        raise InvalidInput(f"未知的佐證種類「{kind}」", f"unknown evidence kind '{kind}'")
    filename = clean_text(filename or "upload.pdf", "檔名", "file name", max_len=255)
    if effective is not None and effective > clock.today():
        raise InvalidInput("文件日期不得晚於今天", "the document's date is in the future")
    limits = {"max_bytes": max_bytes} if max_bytes else {}

    def inspect(subject=None) -> dict:
        expect = expected_texts(store, kind, subject) if subject is not None else []
        level = protection_level(store, subject)
        with inspections_by(actor):  # one upload of a user at a time (SandboxBusy otherwise)
            report = inspect_pdf(
                data, kind=kind, expect=expect, level=level, trust_dir=trust_dir, **limits
            )
        return report.to_dict()

    known = SubjectKind(subject_kind) if subject_id and subject_kind else None
    report_doc = inspect(subject_owner(store, known, subject_id)[0] if known else None)
    if report_doc["verdict"] == "rejected":
        reasons = "；".join(r["zh"] for r in report_doc.get("reasons", []))
        raise InvalidInput(
            f"檔案無法受理：{reasons}", "the file was rejected by the automatic checks"
        )
    form = _match_form(store, report_doc.get("form_numbers") or [])
    if subject_id is None and form is not None:
        subject_kind, subject_id = SubjectKind.VENDOR_STAFF, form.staff_id
    if subject_id is None or subject_kind is None:
        raise InvalidInput("請指定此檔案所屬的對象", "the file's subject is required")
    subject_kind = SubjectKind(subject_kind)
    subject, vendor_id, agency_id = subject_owner(store, subject_kind, subject_id)
    if vendor_scope is not None and vendor_id != vendor_scope:
        raise NotAllowed("無權上傳此對象之佐證", "this subject belongs to another vendor")
    obligation = _obligation_for(catalogue, obligation_id, subject_kind, kind)
    if known is None:
        report_doc = inspect(subject)
    flags = _flags(store, report_doc["sha256"], subject_kind, subject_id, form, subject_id)
    evidence = Evidence(
        id=new_id("ev"),
        obligation_id=obligation.id,
        subject_kind=subject_kind,
        subject_id=subject_id,
        kind=kind,
        sha256=report_doc["sha256"],
        filename=filename,
        uploaded_by=actor,
        uploaded_at=clock.now(),
        vendor_id=vendor_id,
        agency_id=agency_id,
        effective=effective,
        inspection=report_doc,
        form_number=form.id if form else None,
        flags=flags,
    )
    with Transaction(store) as tx:  # the file, the records and the log line commit together
        tx.add_blob(blobs, data)
        previous = current_evidence(store, subject_kind, subject_id, kind)
        records = [
            replace(p, state=ReviewState.SUPERSEDED)
            for p in previous
            if p.state == ReviewState.SUBMITTED
        ]
        if previous:
            evidence = replace(evidence, supersedes=previous[-1].id)
        store.put_many([*records, evidence], actor=actor, action="evidence_uploaded")
    return evidence


def review_evidence(
    store: Store,
    actor: str,
    role: str,
    evidence_id: str,
    *,
    approve: bool,
    reason: str = "",
    catalogue: Catalogue | None = None,
) -> Evidence:
    """The IT office approves or rejects submitted evidence; a rejection needs a reason.

    Approval sets ``valid_until`` from the evidence kind's validity (months from
    the document's own date, or the contract's end).
    """
    if role not in REVIEWER_ROLES:
        raise NotAllowed("僅資訊室可審查佐證資料", "only the IT office reviews evidence")
    catalogue = catalogue or default_catalogue()
    reason = clean_text(reason, "理由", "reason", required=not approve, max_len=1000)
    with store.locked():
        evidence = store.require(Evidence, evidence_id)
        if evidence.state != ReviewState.SUBMITTED:
            raise NotAllowed(
                "此佐證已審查或已被取代", f"evidence is {evidence.state.value}, not submitted"
            )
        now = clock.now()
        decided = replace(
            evidence,
            state=ReviewState.APPROVED if approve else ReviewState.REJECTED,
            reviewed_by=actor,
            reviewed_at=now,
            review_reason=reason,
            valid_until=None,
        )
        if approve:
            decided = replace(decided, valid_until=_valid_until(store, catalogue, decided))
        superseded = [
            replace(e, state=ReviewState.SUPERSEDED, superseded_by=evidence.id)
            for e in current_evidence(
                store, evidence.subject_kind, evidence.subject_id, evidence.kind
            )
            if approve and e.id != evidence.id and e.state == ReviewState.APPROVED
        ]
        store.put_many(
            [*superseded, decided],
            actor=actor,
            action="evidence_approved" if approve else "evidence_rejected",
        )
    return decided


def current_evidence(
    store: Store, subject_kind, subject_id: str, kind: str | None = None
) -> list[Evidence]:
    """The subject's evidence that is not superseded, oldest first."""
    _, vendor_id, agency_id = subject_owner(store, SubjectKind(subject_kind), subject_id)
    records = [
        e
        for e in store.all(Evidence, vendor=vendor_id, agency=agency_id)
        if e.subject_id == subject_id
        and e.state != ReviewState.SUPERSEDED
        and (kind is None or e.kind == kind)
    ]
    return sorted(records, key=lambda e: e.uploaded_at)


def review_queue(store: Store, vendor_id: str | None = None) -> list[Evidence]:
    """Submitted evidence awaiting the IT office, oldest first."""
    pending = [e for e in store.all(Evidence, vendor=vendor_id) if e.state == ReviewState.SUBMITTED]
    return sorted(pending, key=lambda e: e.uploaded_at)


def _obligation_for(catalogue: Catalogue, obligation_id, subject_kind: SubjectKind, kind: str):
    if obligation_id:
        try:
            obligation = catalogue.get(obligation_id)
        except KeyError:
            raise InvalidInput(
                f"未知的應辦事項 {obligation_id}", f"unknown obligation {obligation_id}"
            ) from None
        if obligation.subject != subject_kind or kind not in obligation.evidence:
            raise InvalidInput(
                f"第 {obligation_id} 項不接受此類佐證",
                f"obligation {obligation_id} does not take {kind} for this subject",
            )
        return obligation
    for obligation in catalogue.for_subject(subject_kind):
        if kind in obligation.evidence:
            return obligation
    raise InvalidInput(
        "此對象無需此類佐證", f"no obligation takes {kind} for a {subject_kind.value}"
    )


def _valid_until(store: Store, catalogue: Catalogue, evidence: Evidence) -> date | None:
    """The validity recorded at approval (``evidence`` already carries its review time)."""
    subject, _, _ = subject_owner(store, evidence.subject_kind, evidence.subject_id)
    contract_id = (
        subject.id if isinstance(subject, Contract) else getattr(subject, "contract_id", None)
    )
    contract = store.get(Contract, contract_id) if contract_id else None
    kind = catalogue.evidence_kinds[evidence.kind]
    return valid_until(kind, replace(evidence, valid_until=None), contract)[0]


def _match_form(store: Store, numbers: list[str]) -> IssuedForm | None:
    for number in numbers:
        form = store.get(IssuedForm, number)
        if form is not None:
            return form
    return None


def _flags(
    store: Store, sha256: str, subject_kind, subject_id: str, form, target_id: str
) -> tuple[str, ...]:
    flags = []
    if subject_kind == SubjectKind.VENDOR_STAFF:
        others = {
            e.subject_id
            for e in store.all(Evidence)
            if e.sha256 == sha256
            and e.subject_kind == SubjectKind.VENDOR_STAFF
            and e.subject_id != subject_id
        }
        if others:
            flags.append("same_file_other_staff")
    if form is not None and form.staff_id != target_id:
        flags.append("form_number_other_staff")
    return tuple(flags)


def issue_form(store: Store, actor: str, staff_id: str, form_number: str) -> IssuedForm:
    """Record that the pre-filled pledge form ``form_number`` was issued for ``staff_id``."""
    staff = store.require(VendorStaff, staff_id)
    form = IssuedForm(
        id=form_number,
        staff_id=staff.id,
        contract_id=staff.contract_id,
        vendor_id=staff.vendor_id,
        issued_by=actor,
        issued_at=clock.now().isoformat(timespec="seconds"),
    )
    return store.put(form, actor=actor, action="form_issued")


def recent_decisions(store: Store, limit: int = 100) -> list[Evidence]:
    """Approved or rejected uploads, the latest decision first (audit records excluded: they follow
    their audit's closing) — the decisions a reviewer may correct."""
    decided = [
        e
        for e in store.all(Evidence)
        if e.state in (ReviewState.APPROVED, ReviewState.REJECTED)
        and e.kind != "audit_record"
        and e.reviewed_at is not None
    ]
    return sorted(decided, key=lambda e: e.reviewed_at, reverse=True)[:limit]


def same_file_subjects(store: Store, evidence: Evidence) -> list[str]:
    """Labels of the other subjects the same file (by SHA-256) was uploaded for (for the IT office,
    which sees every vendor: the flag ``same_file_other_staff`` is set across vendors too)."""
    others = []
    for other in store.all(Evidence):
        if other.sha256 == evidence.sha256 and other.subject_id != evidence.subject_id:
            record = store.get(SUBJECT_TYPES[other.subject_kind], other.subject_id)
            others.append(subject_label(record) if record else other.subject_id)
    return list(dict.fromkeys(others))
