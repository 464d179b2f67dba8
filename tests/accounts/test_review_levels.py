"""Point 五: 初審 by the unit head, 複審 by the account manager — two people, each the signed-in user."""

from __future__ import annotations

import pytest

from tracker.core.errors import InvalidInput, NotAllowed
from tracker.domain.accounts import NiaAccount
from tracker.domain.users import AppUser
from tracker.services import account_application, account_register, users

from .conftest import ACTOR, HEAD, draft

PASSWORD = "correct horse battery staple 42"


def submitted(store) -> NiaAccount:
    account = draft(store)
    return account_application.submit_account(store, "user.chen", account.id)


def test_the_person_who_took_the_first_review_cannot_take_the_second(store):
    account = submitted(store)
    account_application.first_review(store, HEAD, account.id, approve=True)
    with pytest.raises(NotAllowed, match="同一人不得同時辦理初審與複審") as refused:
        account_application.second_review(store, HEAD, account.id, approve=True)
    assert HEAD in refused.value.message_zh and "陳怡君" in refused.value.message_zh
    assert store.get(NiaAccount, account.id).state == "second_review"


def test_typing_the_first_reviewers_name_into_the_second_review_is_refused_too(store):
    account = submitted(store)
    account_application.first_review(store, HEAD, account.id, approve=True, reviewer="科長 王大明")
    for name in ("科長 王大明", HEAD):
        with pytest.raises(NotAllowed, match="同一人"):
            account_application.second_review(store, ACTOR, account.id, approve=True, reviewer=name)
    assert store.get(NiaAccount, account.id).state == "second_review"


def test_a_typed_reviewer_name_is_recorded_as_typed_and_an_empty_one_names_the_signed_in_user(
    store,
):
    account = submitted(store)
    account_application.first_review(
        store, HEAD, account.id, approve=True, reviewer="  科長 王大明 "
    )
    done = account_application.second_review(store, ACTOR, account.id, approve=True)
    assert (done.first_reviewed_by, done.second_reviewed_by) == ("科長 王大明", ACTOR)
    steps = {s.step: s for s in account_register.account_steps(store, account.id)}
    assert (steps["first_review"].by, steps["first_review"].actor) == ("科長 王大明", HEAD)
    assert (steps["second_review"].by, steps["second_review"].actor) == (ACTOR, ACTOR)


def test_a_signed_in_account_takes_only_the_review_level_of_its_role(store):
    users.create_user(
        store, "t", username="head.chen", role="unit_head", password=PASSWORD, unit="社會救助科"
    )
    users.create_user(store, "t", username="admin.wu", role="account_admin", password=PASSWORD)
    account = submitted(store)
    with pytest.raises(NotAllowed, match="初審（使用單位主管）須由使用單位主管辦理"):
        account_application.first_review(store, "admin.wu", account.id, approve=True)
    account_application.first_review(store, "head.chen", account.id, approve=True)
    with pytest.raises(NotAllowed, match="複審（機關帳號管理者）須由機關帳號管理者辦理"):
        account_application.second_review(store, "head.chen", account.id, approve=True)
    assert account_application.second_review(store, "admin.wu", account.id, approve=True).state == (
        "nia_review"
    )


def test_a_unit_head_takes_the_first_review_of_its_own_units_applications_only(store):
    users.create_user(
        store, "t", username="head.lin", role="unit_head", password=PASSWORD, unit="老人福利科"
    )
    account = submitted(store)  # 社會救助科
    with pytest.raises(NotAllowed) as refused:
        account_application.first_review(store, "head.lin", account.id, approve=True)
    assert "社會救助科" in refused.value.message_zh and "老人福利科" in refused.value.message_zh
    assert store.require(NiaAccount, account.id).state == "first_review"
    users.set_unit(store, "t", "head.lin", "社會救助科")
    assert account_application.first_review(store, "head.lin", account.id, approve=True).state == (
        "second_review"
    )


def test_a_unit_head_without_a_unit_is_refused_at_creation_and_other_roles_take_none(store):
    with pytest.raises(InvalidInput, match="須指定所屬單位"):
        users.create_user(store, "t", username="head.x", role="unit_head", password=PASSWORD)
    with pytest.raises(InvalidInput, match="只有使用單位主管"):
        users.create_user(
            store, "t", username="admin.x", role="account_admin", password=PASSWORD, unit="資訊室"
        )
    with pytest.raises(InvalidInput, match="使用單位"):
        users.create_user(
            store, "t", username="head.y", role="unit_head", password=PASSWORD, unit="科\u202e室"
        )
    assert not [u for u in store.all(AppUser) if u.id in ("head.x", "admin.x", "head.y")]
