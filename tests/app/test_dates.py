"""Dates are typed in ROC form; impossible days are refused by name, past-only days refused in the future."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app_pages._dates import read_date
from tracker.core import clock
from tracker.core.dates import roc_short
from tracker.core.errors import InvalidInput
from tracker.domain.vendors import VendorStaff

from .conftest import open_page, shown, signed_in


def depart(at, person_id: str, day: str):
    at.selectbox(key="departure_who").set_value(person_id)
    next(t for t in at.text_input if t.label == "離職（異動）日").input(day)
    next(b for b in at.button if b.label == "登錄離職").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def active(store) -> VendorStaff:
    return next(s for s in store.all(VendorStaff, vendor="v-a") if s.end is None)


def test_an_impossible_day_is_refused_with_its_reason_and_nothing_is_recorded(app_settings, store):
    person = active(store)
    at = depart(open_page(signed_in("vendor.a"), "vendor_staff"), person.id, "115/02/30")
    assert any("「115/02/30」不存在（115 年 2 月只有 28 日）" in shown(e.value) for e in at.error)
    assert store.require(VendorStaff, person.id).end is None
    assert next(t for t in at.text_input if t.label == "離職（異動）日").value == "115/02/30"


def test_a_departure_in_the_future_is_refused(app_settings, store):
    person = active(store)
    tomorrow = roc_short(clock.today() + timedelta(days=1))
    at = depart(open_page(signed_in("vendor.a"), "vendor_staff"), person.id, tomorrow)
    assert any("不得晚於今天" in e.value for e in at.error)
    assert store.require(VendorStaff, person.id).end is None


@pytest.mark.parametrize("written", ["roc", "iso", "long"])
def test_a_day_is_taken_in_roc_iso_or_long_roc_form(app_settings, store, written):
    person = active(store)
    day = max(person.start, clock.today() - timedelta(days=3))
    text = {
        "roc": roc_short(day),
        "iso": day.isoformat(),
        "long": f"民國 {day.year - 1911} 年 {day.month} 月 {day.day} 日",
    }[written]
    at = depart(open_page(signed_in("vendor.a"), "vendor_staff"), person.id, text)
    assert store.require(VendorStaff, person.id).end == day
    assert any(f"離職（{roc_short(day)}）" in shown(s.value) for s in at.success)


def test_date_fields_show_the_roc_form(app_settings):
    at = open_page(signed_in("vendor.a"), "vendor_staff")
    field = next(t for t in at.text_input if t.label == "離職（異動）日")
    assert field.value == roc_short(clock.today())


def test_read_date_names_the_field_and_knows_optional_and_past_only_days():
    with pytest.raises(InvalidInput, match="請填寫到職日"):
        read_date("", "到職日")
    assert read_date(" ", "改善期限", required=False) is None
    future = clock.today() + timedelta(days=10)
    assert read_date(roc_short(future), "改善期限", past=False) == future
    with pytest.raises(InvalidInput, match="審核日期不得晚於今天"):
        read_date(roc_short(future), "審核日期")
    with pytest.raises(InvalidInput, match="審核日期：日期「abc」無法辨識"):
        read_date("abc", "審核日期")
    assert read_date("１１４／０３／０２", "審核日期") == date(2025, 3, 2)
