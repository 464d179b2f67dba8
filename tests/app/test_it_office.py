"""The IT office's pages: the review queue, vendors and contracts, pledge forms, the matrix."""

from __future__ import annotations

from tracker.domain.enums import ReviewState
from tracker.domain.evidence import Evidence, IssuedForm
from tracker.domain.vendors import Contract, Vendor
from tracker.services.evidence import review_queue

from .conftest import (
    REAL_PASSWORD,
    activity_log,
    open_page,
    real_it_office,
    rendered_text,
    signed_in,
)
from .test_choices import tick_seen


def queue_page():
    return open_page(signed_in("it.office"), "review_queue")


def picked_evidence(at, store) -> Evidence:
    return store.require(Evidence, next(b for b in at.selectbox if b.label == "審查項目").value)


def test_the_queue_shows_findings_beside_a_preview_and_a_download(app_settings, store):
    at = queue_page()
    assert len(at.table[0].value) == len(review_queue(store))
    assert at.image, "the first pages are rendered as images"
    assert any(b.label == "下載檔案" for b in at.get("download_button"))
    assert any(s.value in ("自動檢核通過",) for s in at.success) or at.warning


def test_approving_evidence(app_settings, store):
    at = queue_page()
    evidence = picked_evidence(at, store)
    tick_seen(at, evidence.id)
    at.button(key="approve").click().run()
    assert not at.exception
    assert any("已核准" in s.value for s in at.success)
    decided = store.require(Evidence, evidence.id)
    assert (decided.state, decided.reviewed_by) == (ReviewState.APPROVED, "it.office")
    assert '"action":"evidence_approved"' in activity_log(app_settings)


def test_rejecting_without_a_reason_is_refused(app_settings, store):
    at = queue_page()
    evidence = picked_evidence(at, store)
    at.button(key="reject").click().run()
    assert any("理由" in e.value for e in at.error)
    assert store.require(Evidence, evidence.id).state == ReviewState.SUBMITTED


def test_rejecting_with_a_reason(app_settings, store):
    at = queue_page()
    evidence = picked_evidence(at, store)
    at.text_area(key=f"reason-{evidence.id}").input("簽名欄空白")
    at.button(key="reject").click().run()
    decided = store.require(Evidence, evidence.id)
    assert (decided.state, decided.review_reason) == (ReviewState.REJECTED, "簽名欄空白")
    assert evidence.id not in {e.id for e in review_queue(store)}


def test_creating_a_vendor_checks_the_business_number(app_settings, store):
    at = open_page(signed_in(real_it_office(store), REAL_PASSWORD), "vendors_admin")
    fields = {w.label: w for w in at.text_input}
    fields["廠商名稱"].input("測試資訊有限公司")
    fields["統一編號（8 碼，含檢查碼）"].input("12345678")
    next(b for b in at.button if b.label == "儲存廠商").click().run()
    assert any("檢查碼" in e.value for e in at.error)
    fields = {w.label: w for w in at.text_input}
    fields["統一編號（8 碼，含檢查碼）"].input("04595257")
    next(b for b in at.button if b.label == "儲存廠商").click().run()
    assert any("測試資訊有限公司" in s.value for s in at.success)
    assert "測試資訊有限公司" in {v.name for v in store.all(Vendor)}


def test_editing_a_contract(app_settings, store):
    at = open_page(signed_in("it.office"), "vendors_admin")
    at.selectbox(key="edit_contract").set_value("c-1").run()
    title = next(w for w in at.text_input if w.label == "委託案名稱")
    title.input("社會福利資訊系統維運案（第二期）")
    next(b for b in at.button if b.label == "儲存委託案").click().run()
    assert store.get(Contract, "c-1").title.endswith("（第二期）")


def test_a_pledge_form_is_issued_with_a_number_and_offered_for_download(app_settings, store):
    at = open_page(signed_in("it.office"), "pledge_forms")
    next(b for b in at.button if b.label == "產生切結書").click().run()
    assert any("切結書，表單編號 PLG-" in s.value for s in at.success)
    assert any(b.label == "下載切結書 PDF" for b in at.get("download_button"))
    assert store.all(IssuedForm)


def test_the_matrix_shows_every_vendor(app_settings, store):
    at = open_page(signed_in("it.office"), "matrix")
    text = rendered_text(at)
    assert all(v.name in text for v in store.all(Vendor))
