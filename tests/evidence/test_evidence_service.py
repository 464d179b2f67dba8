"""Evidence intake and review: stored once by hash, superseded not lost, reviewed by the IT office only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.evidence import corpus
from tracker.core import clock
from tracker.storage.blobs import BlobStore
from tracker.compliance.loader import default_catalogue
from tracker.core.clock import add_months
from tracker.domain.vendors import Agency, Vendor
from tracker.domain.evidence import Evidence
from tracker.domain.enums import ReviewState, Status, SubjectKind
from tracker.core.errors import InvalidInput, NotAllowed
from tracker.documents.pledge import new_form_number, render_pledge_form
from tracker.services import evidence as ev
from tracker.services import vendors as v
from tracker.compliance.status import evaluate
from tracker.services.compliance import compliance_report
from tracker.storage.store import Store

TODAY = clock.today()
VENDOR_NAME = "北辰資訊股份有限公司"


@pytest.fixture
def world(settings):
    store = Store.open(settings)
    store.put(Agency("ag", "臺北市政府社會局", account_admin="林佳蓉"), actor="t", action="seed")
    store.put(Vendor("v-a", VENDOR_NAME, "04595257"), actor="t", action="seed")
    store.put(Vendor("v-b", "立安系統整合有限公司", "22099131"), actor="t", action="seed")
    start, end = TODAY - timedelta(days=100), TODAY + timedelta(days=200)
    for cid, vid, custom in (("c-a", "v-a", True), ("c-b", "v-b", False)):
        v.save_contract(
            store,
            "t",
            vendor_id=vid,
            agency_id="ag",
            title=f"委託案{cid}",
            start=start,
            end=end,
            custom_development=custom,
            contract_id=cid,
        )
    for sid, cid, name in (
        ("s1", "c-a", "王小明"),
        ("s2", "c-a", "李大華"),
        ("s3", "c-b", "陳美玲"),
    ):
        v.add_staff(
            store,
            "t",
            contract_id=cid,
            name=name,
            national_id="A123456789",
            start=start,
            staff_id=sid,
        )
    return store, BlobStore(settings.evidence_dir)


def pledge_for(name: str, number: str | None = None) -> bytes:
    return render_pledge_form(
        form_number=number or new_form_number(),
        staff_name=name,
        vendor_name=VENDOR_NAME,
        contract_title="委託案c-a",
        issued_on=TODAY,
    )


def upload(world, staff_id="s1", data=None, **kw) -> Evidence:
    store, blobs = world
    kw.setdefault("subject_kind", SubjectKind.VENDOR_STAFF)
    kw.setdefault("subject_id", staff_id)
    return ev.upload_evidence(
        store,
        blobs,
        "vendor.a",
        kind=kw.pop("kind", "staff_pledge"),
        data=data or pledge_for("王小明"),
        filename=kw.pop("filename", "切結書.pdf"),
        **kw,
    )


def status(store, obligation: str, subject: str) -> Status:
    rows = [
        r
        for r in compliance_report(store).rows
        if r.obligation_id == obligation and r.subject_id == subject
    ]
    return rows[0].status


def test_an_upload_is_inspected_stored_by_hash_and_awaits_review(world):
    store, blobs = world
    record = upload(world, filename="../../etc/passwd.pdf")
    assert record.state == ReviewState.SUBMITTED and record.obligation_id == "8.6"
    assert record.inspection["verdict"] == "accepted"
    assert {"王小明", VENDOR_NAME} <= set(record.inspection["keywords_found"])
    path = blobs.path(record.sha256)
    assert path.exists() and path.name == record.sha256 and "passwd" not in str(path)
    assert record.filename == "../../etc/passwd.pdf"
    # Past its due date and signed on paper at best: 逾期 until the IT office has looked at it.
    [row] = [
        r for r in compliance_report(store).rows if (r.obligation_id, r.subject_id) == ("8.6", "s1")
    ]
    assert row.status == Status.OVERDUE and row.reason_zh.startswith("已上傳待審查，需人工確認")


def test_an_approved_pledge_turns_the_item_compliant_until_the_contract_ends(world):
    store, _ = world
    record = upload(world)
    approved = ev.review_evidence(store, "it.office", "it_office", record.id, approve=True)
    assert approved.state == ReviewState.APPROVED and approved.reviewed_by == "it.office"
    assert approved.valid_until == TODAY + timedelta(days=200)
    assert status(store, "8.6", "s1") == Status.COMPLIANT
    assert status(store, "8.8", "s1") == Status.COMPLIANT  # the same pledge proves 8.8


def test_an_approved_certificate_expires_after_its_twelve_months(world):
    store, _ = world
    effective = add_months(TODAY, -13)
    cert = corpus.certificate_pdf(effective.isoformat())
    record = upload(
        world,
        data=cert,
        kind="security_test_certificate",
        subject_kind=SubjectKind.CONTRACT,
        subject_id="c-a",
        effective=effective,
    )
    approved = ev.review_evidence(store, "it.office", "it_office", record.id, approve=True)
    assert approved.valid_until == add_months(effective, 12)
    assert status(store, "8.2", "c-a") == Status.EXPIRED


def test_only_the_it_office_reviews_and_a_rejection_needs_a_reason(world):
    store, _ = world
    record = upload(world)
    for role in ("vendor", "manager", "account_admin"):
        with pytest.raises(NotAllowed):
            ev.review_evidence(store, "someone", role, record.id, approve=True)
    with pytest.raises(InvalidInput):
        ev.review_evidence(store, "it.office", "it_office", record.id, approve=False, reason="  ")
    rejected = ev.review_evidence(
        store, "it.office", "it_office", record.id, approve=False, reason="未簽名"
    )
    assert rejected.state == ReviewState.REJECTED and rejected.review_reason == "未簽名"
    # The staff member started 100 days ago: a rejected pledge proves nothing, the item is late.
    assert status(store, "8.6", "s1") == Status.OVERDUE
    [row] = [
        r for r in compliance_report(store).rows if (r.obligation_id, r.subject_id) == ("8.6", "s1")
    ]
    assert row.reason_zh.startswith("退件（未簽名）")
    with pytest.raises(NotAllowed):
        ev.review_evidence(store, "it.office", "it_office", record.id, approve=True)


def test_a_new_upload_supersedes_the_waiting_one_and_keeps_it(world):
    store, _ = world
    first = upload(world)
    second = upload(world, data=pledge_for("王小明"))
    assert second.supersedes == first.id
    assert store.get(Evidence, first.id).state == ReviewState.SUPERSEDED
    assert [e.id for e in ev.review_queue(store)] == [second.id]


def test_approving_a_newer_record_supersedes_the_older_approval(world):
    store, _ = world
    old = upload(world)
    ev.review_evidence(store, "it.office", "it_office", old.id, approve=True)
    new = upload(world, data=pledge_for("王小明"))
    assert (
        store.get(Evidence, old.id).state == ReviewState.APPROVED
    )  # still valid while the new one waits
    ev.review_evidence(store, "it.office", "it_office", new.id, approve=True)
    assert store.get(Evidence, old.id).state == ReviewState.SUPERSEDED


def test_the_same_file_for_two_staff_members_is_flagged(world):
    data = pledge_for("王小明")
    upload(world, "s1", data=data)
    second = upload(world, "s2", data=data)
    assert "same_file_other_staff" in second.flags


def test_a_pledge_carrying_an_issued_form_number_is_matched_to_its_staff_member(world):
    store, _ = world
    number = new_form_number()
    ev.issue_form(store, "it.office", "s2", number)
    record = upload(world, data=pledge_for("李大華", number), subject_kind=None, subject_id=None)
    assert record.subject_id == "s2" and record.form_number == number
    assert not record.flags


def test_a_rejected_file_is_refused_and_nothing_is_stored(world):
    store, blobs = world
    with pytest.raises(InvalidInput, match="無法受理"):
        upload(world, data=corpus.png_bytes())
    with pytest.raises(InvalidInput):
        upload(world, data=corpus.encrypted())
    assert store.all(Evidence) == [] and blobs.all() == []


def test_a_vendor_cannot_upload_for_another_vendors_staff(world):
    store, blobs = world
    with pytest.raises(NotAllowed):
        upload(world, "s3", vendor_scope="v-a")
    assert store.all(Evidence) == [] and blobs.all() == []


def test_evidence_of_the_wrong_kind_or_a_future_date_is_refused(world):
    with pytest.raises(InvalidInput, match="8.2"):
        upload(world, obligation_id="8.2")
    with pytest.raises(InvalidInput):
        upload(world, kind="selfie")
    with pytest.raises(InvalidInput):
        upload(world, effective=TODAY + timedelta(days=1))


def test_a_stored_file_is_written_once_and_read_back_verified(world):
    _, blobs = world
    data = pledge_for("王小明")
    digest = blobs.put(data)
    before = blobs.path(digest).stat().st_mtime_ns
    assert blobs.put(data) == digest and blobs.path(digest).stat().st_mtime_ns == before
    assert blobs.read(digest) == data


def test_the_status_engine_sees_every_review_state_of_the_store(world):
    store, _ = world
    record = upload(world)
    facts = store.facts()
    rows = {
        (r.obligation_id, r.subject_id): r.status
        for r in evaluate(default_catalogue(), facts, TODAY)
    }
    assert rows[("8.6", "s1")] == Status.OVERDUE and rows[("8.6", "s2")] == Status.OVERDUE
    assert record.id in {r.evidence_id for r in evaluate(default_catalogue(), facts, TODAY)}
    assert record.id in {e.id for e in facts.evidence}


def test_correcting_an_approval_gives_back_the_approval_it_had_replaced(world):
    """An approval set right must not leave the item with no approved pledge at all."""
    from tracker.domain.corrections import Correction
    from tracker.services.corrections import correct_review

    store, _ = world
    first = ev.review_evidence(store, "it.office", "it_office", upload(world).id, approve=True)
    second = upload(world, data=pledge_for("王小明", new_form_number()), filename="重簽.pdf")
    ev.review_evidence(store, "it.office", "it_office", second.id, approve=True)
    assert store.require(Evidence, first.id).state == ReviewState.SUPERSEDED
    correct_review(store, "it.office", "it_office", second.id, "核准錯檔案")
    back = store.require(Evidence, first.id)
    assert back.state == ReviewState.APPROVED and back.valid_until == first.valid_until
    assert store.require(Evidence, second.id).state == ReviewState.SUBMITTED
    assert status(store, "8.6", "s1") == Status.COMPLIANT  # the first pledge proves it again
    [note] = store.all(Correction)
    assert "恢復為已核准" in note.summary and "切結書.pdf" in note.summary


def test_correcting_a_rejection_restores_nothing_else(world):
    from tracker.services.corrections import correct_review

    store, _ = world
    first = ev.review_evidence(store, "it.office", "it_office", upload(world).id, approve=True)
    second = upload(world, data=pledge_for("王小明", new_form_number()), filename="重簽.pdf")
    ev.review_evidence(store, "it.office", "it_office", second.id, approve=False, reason="模糊")
    correct_review(store, "it.office", "it_office", second.id, "其實清楚")
    assert store.require(Evidence, first.id).state == ReviewState.APPROVED
    assert store.require(Evidence, first.id).superseded_by is None
