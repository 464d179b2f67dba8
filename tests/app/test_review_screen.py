"""The review screen shows what matters: flags, failed checks and missing signatures in the queue row
and above the decision buttons; approving such an upload needs a tick; a decision can be corrected."""

from __future__ import annotations

from tracker.compliance.attention import UNSIGNED_ZH
from tracker.domain.corrections import Correction
from tracker.domain.enums import ReviewState, SubjectKind
from tracker.domain.evidence import Evidence
from tracker.domain.vendors import VendorStaff
from tracker.services.evidence import review_queue, upload_evidence
from tracker.storage.blobs import BlobStore

from .conftest import activity_log, open_page, signed_in
from .helpers import pledge_pdf


def upload_pledge(store, settings, person: VendorStaff, data: bytes) -> Evidence:
    return upload_evidence(
        store,
        BlobStore(settings.evidence_dir),
        "vendor.a",
        kind="staff_pledge",
        data=data,
        filename="切結書.pdf",
        subject_kind=SubjectKind.VENDOR_STAFF,
        subject_id=person.id,
        vendor_scope="v-a",
        trust_dir=settings.trust_dir,
    )


def queue_row(at, evidence_id: str, store) -> dict:
    frame = at.table[0].value
    index = [e.id for e in review_queue(store)].index(evidence_id)
    return frame.iloc[index].to_dict()


def test_a_file_shared_by_two_people_is_flagged_in_the_row_and_above_the_buttons(
    app_settings, store
):
    first, second = [s for s in store.all(VendorStaff, vendor="v-a") if s.end is None][:2]
    data = pledge_pdf(store, first)
    upload_pledge(store, app_settings, first, data)
    shared = upload_pledge(store, app_settings, second, data)
    at = open_page(signed_in("it.office"), "review_queue")
    row = queue_row(at, shared.id, store)
    assert "同一檔案亦上傳給其他人員" in row["注意事項"] and first.name in row["注意事項"]
    at.selectbox(key="review_pick").set_value(shared.id).run()
    warnings = [w.value for w in at.warning]
    assert any("同一檔案亦上傳給其他人員" in w and first.name in w for w in warnings)
    assert at.button(key="approve").disabled, "approval waits for the tick"
    at.checkbox(key=f"seen-{shared.id}").check().run()
    at.button(key="approve").click().run()
    assert store.require(Evidence, shared.id).state == ReviewState.APPROVED


def test_an_unsigned_pledge_is_never_shown_as_passed(app_settings, store):
    person = next(s for s in store.all(VendorStaff, vendor="v-a") if s.end is None)
    unsigned = upload_pledge(store, app_settings, person, pledge_pdf(store, person))
    assert unsigned.inspection["verdict"] == "accepted"
    assert unsigned.inspection["signature_fields"] == 0 and not unsigned.inspection["signed"]
    at = open_page(signed_in("it.office"), "review_queue")
    assert queue_row(at, unsigned.id, store)["自動檢核"] == "需人工判讀"
    at.selectbox(key="review_pick").set_value(unsigned.id).run()
    assert UNSIGNED_ZH in [w.value for w in at.warning]
    assert "自動檢核通過" not in [s.value for s in at.success]


def test_an_approval_is_corrected_back_to_pending_with_a_logged_reason(app_settings, store):
    approved = next(
        e
        for e in store.all(Evidence)
        if e.state == ReviewState.APPROVED and e.kind != "audit_record"
    )
    at = open_page(signed_in("it.office"), "review_queue")
    at.selectbox(key="correct_review_pick").set_value(approved.id)
    next(t for t in at.text_input if t.label == "更正理由（必填）").input("核准錯件")
    next(b for b in at.button if b.label == "更正為待審查").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    back = store.require(Evidence, approved.id)
    assert (back.state, back.reviewed_by, back.valid_until) == (ReviewState.SUBMITTED, None, None)
    assert back.id in {e.id for e in review_queue(store)}
    [correction] = store.all(Correction)
    assert (correction.kind, correction.reason) == ("review", "核准錯件")
    assert '"action":"review_corrected"' in activity_log(app_settings)
