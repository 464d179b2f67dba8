"""The two review levels in the web app: the unit head takes 初審, the account manager 複審 (point 五)."""

from __future__ import annotations

from tracker.domain.accounts import NiaAccount

from .conftest import column_values, open_page, shown, signed_in


def waiting(store, state: str) -> NiaAccount:
    return next(a for a in store.all(NiaAccount) if a.state == state)


def take_review(at, decision: str = "通過"):
    next(r for r in at.radio if r.label == "審核結果").set_value(decision)
    next(b for b in at.button if b.label == "登錄審核結果").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_unit_head_takes_the_first_review_and_the_account_stays_chosen(app_settings, store):
    account = waiting(store, "first_review")
    at = open_page(signed_in("unit.head"), "nia_accounts")
    box = at.selectbox(key="account_pick-ag-sw")
    assert box.value == account.id, "the account awaiting the unit head is chosen first"
    assert not [b for b in at.button if b.label == "送出申請（送使用單位主管初審）"]
    take_review(at)
    changed = store.require(NiaAccount, account.id)
    assert (changed.state, changed.first_reviewed_by) == ("second_review", "unit.head")
    assert any(account.holder in s.value and "初審：通過" in s.value for s in at.success)
    assert at.selectbox(key="account_pick-ag-sw").value == account.id
    assert any("待機關帳號管理者複審" in i.value for i in at.info)


def test_the_account_manager_takes_the_second_review_but_not_the_first(app_settings, store):
    first = waiting(store, "first_review")
    second = waiting(store, "second_review")
    at = open_page(signed_in("account.admin"), "nia_accounts")
    at.selectbox(key="account_pick-ag-sw").set_value(first.id).run()
    assert not [b for b in at.button if b.label == "登錄審核結果"]
    assert any("待使用單位主管初審" in i.value for i in at.info)
    at.selectbox(key="account_pick-ag-sw").set_value(second.id).run()
    take_review(at)
    assert store.require(NiaAccount, second.id).state == "nia_review"
    assert store.require(NiaAccount, second.id).second_reviewed_by == "account.admin"
    assert store.require(NiaAccount, first.id).state == "first_review"


def test_a_new_application_is_listed_and_chosen_at_once(app_settings, store):
    at = open_page(signed_in("account.admin"), "nia_accounts")
    fields = {w.label: w for w in at.text_input}
    fields["使用者姓名"].input("周新人")
    fields["身分證統一編號（僅保存遮蔽後號碼）"].input("F131104093")
    fields["使用單位（科、室、組）"].input("社會救助科")
    next(a for a in at.text_area if a.label == "承辦業務").input("低收入戶資格審核")
    before = [e.value for e in at.error]  # the register's alarm about an overdue cancellation
    next(b for b in at.button if b.label == "建立申請").click().run()
    assert not at.exception and [e.value for e in at.error] == before
    [account] = [a for a in store.all(NiaAccount) if a.holder == "周新人"]
    assert at.selectbox(key="account_pick-ag-sw").value == account.id
    assert "周新人" in column_values(at, "使用者")


def test_a_unit_head_sees_no_review_form_for_another_units_application(app_settings, store):
    from dataclasses import replace

    account = waiting(store, "first_review")
    store.put(replace(account, unit="老人福利科"), actor="t", action="test_other_unit")
    at = open_page(signed_in("unit.head"), "nia_accounts")
    at.selectbox(key="account_pick-ag-sw").set_value(account.id).run()
    assert not [b for b in at.button if b.label == "登錄審核結果"]
    assert any("老人福利科" in shown(i.value) and "社會救助科" in shown(i.value) for i in at.info)
    assert store.require(NiaAccount, account.id).state == "first_review"
