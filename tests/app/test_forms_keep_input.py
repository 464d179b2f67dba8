"""Forms keep every input when a save is refused, start empty after a save, and the lists show it."""

from __future__ import annotations

from tracker.domain.vendors import Incident, VendorStaff

from .conftest import column_values, open_page, signed_in

NATIONAL_LABEL = "身分證統一編號（輸入後僅保存遮蔽後號碼）"


def fields(at) -> dict:
    return {w.label: w for w in [*at.text_input, *at.text_area]}


def press(at, label: str):
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_too_long_name_is_refused_and_the_name_id_and_date_stay_typed(app_settings, store):
    before = len(store.all(VendorStaff, vendor="v-a"))
    at = open_page(signed_in("vendor.a"), "vendor_staff")
    form = fields(at)
    form["姓名"].input("林" * 61)
    form[NATIONAL_LABEL].input("A123456789")
    form["到職日"].input("115/01/05")
    press(at, "新增人員")
    assert any("姓名過長" in e.value for e in at.error)
    form = fields(at)
    assert form["姓名"].value == "林" * 61 and form[NATIONAL_LABEL].value == "A123456789"
    assert form["到職日"].value == "115/01/05"
    assert len(store.all(VendorStaff, vendor="v-a")) == before
    form["姓名"].input("林測試")
    press(at, "新增人員")
    assert any("已新增 林測試" in s.value for s in at.success)
    assert fields(at)["姓名"].value == "" and fields(at)[NATIONAL_LABEL].value == ""
    assert "林測試" in column_values(at, "姓名")


def test_an_incident_without_a_summary_keeps_its_measures(app_settings, store):
    at = open_page(signed_in("vendor.a"), "vendor_incidents")
    fields(at)["已採取之因應措施"].input("封鎖來源 IP、重設密碼")
    press(at, "立即通報")
    assert any("請填寫事件摘要" in e.value for e in at.error)
    assert fields(at)["已採取之因應措施"].value == "封鎖來源 IP、重設密碼"
    fields(at)["事件摘要"].input("偵測到異常連線")
    press(at, "立即通報")
    assert [i.summary for i in store.all(Incident, vendor="v-a")].count("偵測到異常連線") == 1
    assert fields(at)["事件摘要"].value == "" and fields(at)["已採取之因應措施"].value == ""
    assert "偵測到異常連線" in column_values(at, "摘要")


def test_a_refused_application_keeps_what_was_typed(app_settings, store):
    staff = store.all(VendorStaff, vendor="v-a")[0]
    at = open_page(signed_in("account.admin"), "nia_accounts")
    form = fields(at)
    form["使用者姓名"].input(staff.name)
    form["身分證統一編號（僅保存遮蔽後號碼）"].input("F131104093")
    form["使用單位（科、室、組）"].input("社會救助科")
    form["承辦業務"].input("低收入戶資格審核")
    next(c for c in at.checkbox if c.label == "申請人為委外廠商人員").check()
    press(at, "建立申請")
    assert any("第五點第七款" in e.value for e in at.error)
    form = fields(at)
    assert (form["使用者姓名"].value, form["承辦業務"].value) == (staff.name, "低收入戶資格審核")
    assert form["身分證統一編號（僅保存遮蔽後號碼）"].value == "F131104093"
