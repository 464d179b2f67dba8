"""The vendor portal: a vendor sees only its own records, uploads evidence, keeps staff, PCs, incidents."""

from __future__ import annotations

from datetime import date

import pytest

from app_pages._common import own_record
from tracker.core.dates import roc_short
from tracker.core.errors import NotAllowed
from tracker.domain.enums import ReviewState
from tracker.domain.evidence import Evidence
from tracker.domain.users import AppUser
from tracker.domain.vendors import DedicatedPC, Incident, VendorStaff

from .conftest import open_page, rendered_text, shown, signed_in
from .helpers import foreign_markers, leaks, pledge_pdf, staff_missing_pledge

VENDOR_PAGES = ("vendor_status", "vendor_staff", "vendor_pcs", "vendor_incidents")


def upload_tab(at, item_key: str, filename: str, data: bytes):
    box = next(b for b in at.selectbox if b.label == "要上傳佐證的項目")
    box.set_value(item_key).run()
    at.file_uploader[0].set_value((filename, data, "application/pdf"))
    next(b for b in at.button if b.label == "上傳並自動檢核").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("username", ["vendor.a", "vendor.b"])
def test_a_vendor_sees_nothing_of_any_other_vendor_on_any_page(app_settings, store, username):
    user = store.require(AppUser, username)
    markers = foreign_markers(store, user.vendor_id)
    at = signed_in(username)
    for page in VENDOR_PAGES:
        open_page(at, page)
        text = rendered_text(at)
        assert not leaks(text, markers), (page, leaks(text, markers))
    assert (
        "北辰資訊股份有限公司" in rendered_text(open_page(at, "vendor_status"))
        or username == "vendor.b"
    )


def test_own_record_refuses_another_vendors_record(app_settings, store):
    user = store.require(AppUser, "vendor.a")
    foreign = store.all(VendorStaff, vendor="v-b")[0]
    with pytest.raises(NotAllowed):
        own_record(store, VendorStaff, foreign.id, user)
    with pytest.raises(NotAllowed):
        own_record(store, VendorStaff, "s-does-not-exist", user)
    mine = store.all(VendorStaff, vendor="v-a")[0]
    assert own_record(store, VendorStaff, mine.id, user) == mine


def test_uploading_a_pledge_shows_the_inspection_at_once_and_awaits_review(app_settings, store):
    person = staff_missing_pledge(store, "v-a")
    at = open_page(signed_in("vendor.a"), "vendor_status")
    upload_tab(at, f"8.8|vendor_staff|{person.id}", "切結書.pdf", pledge_pdf(store, person))
    verdicts = [w.value for w in at.warning if not w.value.startswith("示範資料")]
    assert verdicts == ["需人工判讀"], "an unsigned pledge is never passed"
    assert "未偵測到數位簽章" in rendered_text(at)
    assert any(person.name in s.value and "已上傳" in s.value for s in at.success)
    assert person.name in rendered_text(at)
    uploaded = [
        e
        for e in store.all(Evidence, vendor="v-a")
        if e.subject_id == person.id and e.kind == "staff_pledge"
    ]
    assert [(e.state, e.uploaded_by, e.kind) for e in uploaded] == [
        (ReviewState.SUBMITTED, "vendor.a", "staff_pledge")
    ]


def test_a_file_that_is_not_a_pdf_is_refused_with_a_message_and_nothing_is_stored(
    app_settings, store
):
    person = staff_missing_pledge(store, "v-a")
    before = len(store.all(Evidence))
    at = open_page(signed_in("vendor.a"), "vendor_status")
    upload_tab(at, f"8.8|vendor_staff|{person.id}", "x.pdf", b"GIF89a not a pdf at all")
    assert any("無法受理" in e.value for e in at.error)
    assert len(store.all(Evidence)) == before


def test_adding_staff_keeps_only_the_masked_national_id(app_settings, store):
    at = open_page(signed_in("vendor.a"), "vendor_staff")
    by_label = {w.label: w for w in at.text_input}
    by_label["姓名"].input("林測試")
    national = by_label["身分證統一編號（輸入後僅保存遮蔽後號碼）"]
    assert national.proto.type == national.proto.PASSWORD
    national.input("A123456789")
    next(b for b in at.button if b.label == "新增人員").click().run()
    assert any("A12****789" in shown(s.value) for s in at.success)
    assert "A123456789" not in rendered_text(at)
    added = [s for s in store.all(VendorStaff, vendor="v-a") if s.name == "林測試"]
    assert [s.id_masked for s in added] == ["A12****789"]
    assert "A123456789" not in (app_settings.data_dir / "activity-log.jsonl").read_text(
        encoding="utf-8"
    )


def test_a_bad_national_id_is_refused_clearly(app_settings, store):
    at = open_page(signed_in("vendor.a"), "vendor_staff")
    by_label = {w.label: w for w in at.text_input}
    by_label["姓名"].input("林測試")
    by_label["身分證統一編號（輸入後僅保存遮蔽後號碼）"].input("A123456780")
    next(b for b in at.button if b.label == "新增人員").click().run()
    assert any("檢查碼" in e.value for e in at.error)


def test_recording_a_departure_starts_the_removal_clock(app_settings, store):
    at = open_page(signed_in("vendor.a"), "vendor_staff")
    person_id = next(s.id for s in store.all(VendorStaff, vendor="v-a") if s.end is None)
    at.selectbox(key="departure_who").set_value(person_id)
    next(b for b in at.button if b.label == "登錄離職").click().run()
    assert any("離職" in s.value for s in at.success)
    assert store.require(VendorStaff, person_id).end is not None


def test_registering_a_pc_with_its_attestations(app_settings, store):
    at = open_page(signed_in("vendor.a"), "vendor_pcs")
    fields = {w.label: w for w in at.text_input}
    fields["財產編號"].input("SW-PC-TEST")
    fields["放置地點"].input("資訊室 A 櫃")
    for box in at.checkbox:
        box.check()
    next(b for b in at.button if b.label == "儲存").click().run()
    pcs = [p for p in store.all(DedicatedPC, vendor="v-a") if p.asset_tag == "SW-PC-TEST"]
    assert [(p.offline, p.exclusive, p.licensed_software_only) for p in pcs] == [(True, True, True)]


def test_reporting_an_incident_with_the_time_it_became_known(app_settings, store):
    at = open_page(signed_in("vendor.a"), "vendor_incidents")
    at.text_area[0].input("發現測試主機遭未授權存取")
    next(t for t in at.text_input if t.label == "知悉日期").input(roc_short(date.today()))
    next(b for b in at.button if b.label == "立即通報").click().run()
    assert any("已通報" in s.value for s in at.success)
    mine = [i for i in store.all(Incident, vendor="v-a") if i.summary == "發現測試主機遭未授權存取"]
    assert len(mine) == 1 and mine[0].reported_at >= mine[0].known_at
