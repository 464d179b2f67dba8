"""Incidents end to end (8.3): the vendor adds measures, the IT office acknowledges, accepts a late
report with a reason and closes with the final report; the dashboard's open incidents then empty."""

from __future__ import annotations

import pytest

from tracker.core.errors import NotAllowed
from tracker.domain.enums import Status
from tracker.domain.vendors import Incident, VendorStaff
from tracker.services import dashboard
from tracker.services.compliance import compliance_report
from tracker.services.incidents import add_measures

from .conftest import open_page, signed_in


def press(at, label: str):
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_vendor_adds_measures_that_are_stamped_and_kept(app_settings, store):
    [incident] = store.all(Incident, vendor="v-a")
    at = open_page(signed_in("vendor.a"), "vendor_incidents")
    at.selectbox(key="measures_incident").set_value(incident.id)
    next(a for a in at.text_area if a.label.startswith("補充之因應措施")).input("更新防火牆規則")
    press(at, "補充")
    measures = store.require(Incident, incident.id).measures
    assert measures.startswith(incident.measures) and measures.endswith("補充〕更新防火牆規則")
    assert any("已補充" in s.value for s in at.success)


def test_a_vendor_cannot_add_to_another_vendors_incident(app_settings, store):
    [foreign] = store.all(Incident, vendor="v-b")
    with pytest.raises(NotAllowed):
        add_measures(store, "vendor.a", foreign.id, "x", vendor_id="v-a")


def test_the_it_office_takes_a_late_report_to_its_end_and_the_dashboard_empties(
    app_settings, store
):
    [late] = store.all(Incident, vendor="v-b")
    rows = compliance_report(store, cached=False).rows
    row = next(r for r in rows if r.subject_id == late.id and r.obligation_id == "8.3")
    assert "小時才通報" in row.reason_zh
    at = open_page(signed_in("it.office"), "incidents_admin")
    at.selectbox(key="incident_pick").set_value(late.id).run()
    at.button(key="acknowledge").click().run()
    assert store.require(Incident, late.id).acknowledged_by == "it.office"
    assert at.selectbox(key="incident_pick").value == late.id, "the choice survives the change"
    next(a for a in at.text_area if a.label.startswith("處理理由")).input(
        "已查明延誤原因並要求改善"
    )
    press(at, "登錄處理理由")
    next(a for a in at.text_area if a.label.startswith("結案報告")).input("已封鎖來源並完成檢討")
    press(at, "結案")
    closed = store.require(Incident, late.id)
    assert closed.closed and closed.final_report == "已封鎖來源並完成檢討"
    rows = compliance_report(store, cached=False).rows
    row = next(r for r in rows if r.subject_id == late.id and r.obligation_id == "8.3")
    assert "小時才通報" not in row.reason_zh, (
        "the late report is resolved; only the form is missing"
    )
    board = dashboard.dashboard(store, compliance_report(store, cached=False))
    assert late.id not in {r.id for r in board.incidents.rows}


def test_closing_needs_the_final_report(app_settings, store):
    [incident] = store.all(Incident, vendor="v-a")
    at = open_page(signed_in("it.office"), "incidents_admin")
    at.selectbox(key="incident_pick").set_value(incident.id).run()
    press(at, "結案")
    assert any("結案報告" in e.value for e in at.error)
    assert not store.require(Incident, incident.id).closed


def test_the_vendors_count_of_late_items_includes_an_expired_certificate(app_settings, store):
    rows = compliance_report(store, vendor_id="v-a").rows
    expected = sum(r.status in (Status.OVERDUE, Status.EXPIRED) for r in rows)
    assert any(r.status == Status.EXPIRED for r in rows)
    at = open_page(signed_in("vendor.a"), "vendor_status")
    shown = {m.label: m.value for m in at.metric}
    assert shown["逾期或已過期"] == str(expected)


def test_a_new_staff_member_without_a_pledge_is_shown_as_missing_not_due_soon(app_settings, store):
    at = open_page(signed_in("vendor.a"), "vendor_staff")
    fields = {w.label: w for w in at.text_input}
    fields["姓名"].input("林新進")
    fields["身分證統一編號（輸入後僅保存遮蔽後號碼）"].input("A123456789")
    press(at, "新增人員")
    assert [s.name for s in store.all(VendorStaff, vendor="v-a")].count("林新進") == 1
    at = open_page(signed_in("it.office"), "pledge_forms")
    options = at.selectbox(key="pledge_staff-v-a").options
    label = next(o for o in options if o.startswith("林新進"))
    assert "缺件" in label and "期限" in label and "即將到期" not in label
