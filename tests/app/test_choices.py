"""Every action lands on the record the person chose, also when the choice is made right after a change.

The choosers hold record ids (``app_pages._widgets.choose_record``); these tests make a change, then a
choice at once, and check which record the next action changed.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tracker.domain.corrections import Correction
from tracker.domain.enums import ReviewState
from tracker.domain.evidence import Evidence
from tracker.domain.vendors import DedicatedPC, Vendor, VendorStaff
from tracker.services.evidence import review_queue

from .conftest import (
    REAL_PASSWORD,
    activity_log,
    column_values,
    open_page,
    real_it_office,
    shown,
    signed_in,
)
from .helpers import pledge_pdf


def press(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def successes(at: AppTest) -> list[str]:
    return [shown(s.value) for s in at.success]


def active_staff(store, vendor_id: str = "v-a") -> list[VendorStaff]:
    return [s for s in store.all(VendorStaff, vendor=vendor_id) if s.end is None]


def test_a_departure_lands_on_the_person_chosen_and_so_does_the_next_choice(app_settings, store):
    first, second, third = active_staff(store)[1:4]
    at = open_page(signed_in("vendor.a"), "vendor_staff")
    at.selectbox(key="departure_who").set_value(second.id)
    press(at, "登錄離職")
    assert store.require(VendorStaff, second.id).end is not None
    assert any(second.name in m and "離職" in m for m in successes(at))
    assert at.selectbox(key="departure_who").value is None, "the departed person left the list"
    at.selectbox(key="departure_who").set_value(third.id)
    press(at, "登錄離職")
    assert store.require(VendorStaff, third.id).end is not None
    assert store.require(VendorStaff, first.id).end is None


def test_pressing_again_after_a_departure_records_nobody_else(app_settings, store):
    before = {s.id for s in active_staff(store)}
    chosen = sorted(before)[2]
    at = open_page(signed_in("vendor.a"), "vendor_staff")
    at.selectbox(key="departure_who").set_value(chosen)
    press(at, "登錄離職")
    press(at, "登錄離職")
    assert any("請先選擇人員" in w.value for w in at.warning)
    assert {s.id for s in active_staff(store)} == before - {chosen}


def test_a_departure_recorded_by_mistake_is_undone_by_a_logged_correction(app_settings, store):
    person = active_staff(store)[0]
    at = open_page(signed_in("vendor.a"), "vendor_staff")
    at.selectbox(key="departure_who").set_value(person.id)
    press(at, "登錄離職")
    at.selectbox(key="correct_departure_who").set_value(person.id)
    next(t for t in at.text_input if t.label.startswith("更正理由")).input("誤選人員")
    press(at, "更正")
    assert store.require(VendorStaff, person.id).end is None
    assert any(f"已更正 {person.name}" in m for m in successes(at))
    [correction] = store.all(Correction)
    assert (correction.record_id, correction.reason) == (person.id, "誤選人員")
    assert '"action":"departure_corrected"' in activity_log(app_settings)


def test_a_correction_without_a_reason_is_refused_and_changes_nothing(app_settings, store):
    person = next(s for s in store.all(VendorStaff, vendor="v-a") if s.end is not None)
    at = open_page(signed_in("vendor.a"), "vendor_staff")
    at.selectbox(key="correct_departure_who").set_value(person.id)
    press(at, "更正")
    assert any("更正理由" in e.value for e in at.error)
    assert store.require(VendorStaff, person.id).end == person.end


def upload(at: AppTest, item: str, filename: str, data: bytes) -> AppTest:
    at.selectbox(key="upload_item").set_value(item).run()
    at.file_uploader[0].set_value((filename, data, "application/pdf"))
    return press(at, "上傳並自動檢核")


def test_an_upload_stays_on_the_item_chosen_and_the_next_upload_goes_to_the_next_choice(
    app_settings, store
):
    people = [s for s in active_staff(store) if s.touches_sensitive_data][:2]
    at = open_page(signed_in("vendor.a"), "vendor_status")
    for person in people:
        item = f"8.8|vendor_staff|{person.id}"
        upload(at, item, f"切結書-{person.name}.pdf", pledge_pdf(store, person))
        assert any(person.name in m and "已上傳" in m for m in successes(at))
        at.run()
        assert at.selectbox(key="upload_item").value == item, "the status changed, the choice not"
    for person in people:
        newest = max(
            (e for e in store.all(Evidence, vendor="v-a") if e.subject_id == person.id),
            key=lambda e: e.uploaded_at,
        )
        assert (newest.kind, newest.uploaded_by) == ("staff_pledge", "vendor.a")


def tick_seen(at: AppTest, evidence_id: str) -> None:
    """Tick "I have looked at the points" when the upload raises any (approval needs it)."""
    boxes = [b for b in at.checkbox if b.key == f"seen-{evidence_id}"]
    if boxes:
        boxes[0].check().run()


def test_the_review_decides_the_chosen_item_and_then_the_item_chosen_next(app_settings, store):
    queue = review_queue(store)
    second, third = queue[1], queue[2]
    at = open_page(signed_in("it.office"), "review_queue")
    at.selectbox(key="review_pick").set_value(second.id).run()
    tick_seen(at, second.id)
    at.button(key="approve").click().run()
    assert store.require(Evidence, second.id).state == ReviewState.APPROVED
    assert at.selectbox(key="review_pick").value is None
    at.selectbox(key="review_pick").set_value(third.id).run()
    at.text_area(key=f"reason-{third.id}").input("簽名欄空白")
    at.button(key="reject").click().run()
    assert store.require(Evidence, third.id).state == ReviewState.REJECTED
    assert store.require(Evidence, queue[0].id).state == ReviewState.SUBMITTED


def test_a_new_vendor_is_listed_and_chosen_so_saving_again_updates_it(app_settings, store):
    at = open_page(signed_in(real_it_office(store), REAL_PASSWORD), "vendors_admin")  # not demo
    fields = {w.label: w for w in at.text_input}
    fields["廠商名稱"].input("測試資訊有限公司")
    fields["統一編號（8 碼，含檢查碼）"].input("04595257")
    press(at, "儲存廠商")
    [vendor] = [v for v in store.all(Vendor) if v.name == "測試資訊有限公司"]
    assert at.selectbox(key="edit_vendor").value == vendor.id
    assert "測試資訊有限公司" in column_values(at, "廠商名稱")
    press(at, "儲存廠商")
    assert not at.error
    assert [v.id for v in store.all(Vendor) if v.name == "測試資訊有限公司"] == [vendor.id]


def test_a_new_pc_is_listed_and_chosen_after_saving(app_settings, store):
    at = open_page(signed_in("vendor.a"), "vendor_pcs")
    fields = {w.label: w for w in at.text_input}
    fields["財產編號"].input("SW-PC-NEW")
    fields["放置地點"].input("資訊室 B 櫃")
    press(at, "儲存")
    [pc] = [p for p in store.all(DedicatedPC, vendor="v-a") if p.asset_tag == "SW-PC-NEW"]
    assert at.selectbox(key="pc_pick").value == pc.id
    assert "SW-PC-NEW" in column_values(at, "財產編號")


def test_a_chooser_tells_the_browser_the_new_label_when_the_chosen_records_label_changes():
    def script():
        import streamlit as st

        from app_pages._widgets import choose_record

        state = st.session_state.setdefault("state", {"a": "在職", "b": "在職"})
        who = choose_record("人員", {k: f"{k}（{v}）" for k, v in state.items()}, key="who")
        if st.button("離職") and who:
            state[who] = "已離職"
            st.rerun()

    at = AppTest.from_function(script).run()
    at.selectbox(key="who").set_value("b").run()
    at.button[0].click().run()
    box = at.selectbox(key="who")
    assert box.value == "b"
    assert box.proto.set_value and box.proto.raw_value == "b（已離職）"
