"""5.7 and duplicates: applicants are compared with vendor staff and with open applications by the
full national ID where both records have it, else by name and masked ID; refusals say who matched."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.compliance.loader import default_catalogue
from tracker.compliance.status import evaluate
from tracker.core import clock
from tracker.core.errors import NotAllowed
from tracker.core.idnumbers import is_valid_national_id, mask_id
from tracker.domain.accounts import NiaAccount
from tracker.domain.enums import Status
from tracker.domain.vendors import VendorStaff
from tracker.services import account_application, vendors

from .conftest import ACTOR, HEAD, HOLDER_ID, VENDOR_STAFF_ID, draft


def same_mask_other_person(national: str) -> str:
    """A valid ID with the same first three and last three characters (so the same mask)."""
    for middle in range(10_000):
        other = f"{national[:3]}{middle:04d}{national[7:]}"
        if other != national and is_valid_national_id(other):
            return other
    raise AssertionError("no look-alike found")


@pytest.fixture
def typed_staff(store) -> VendorStaff:
    """A vendor staff member added the usual way: the full ID typed, so its digest is kept."""
    return vendors.add_staff(
        store, ACTOR, contract_id="c", name="林大同", national_id=HOLDER_ID, start=date(2025, 2, 1)
    )


def test_a_person_whose_masked_id_matches_a_vendor_staff_member_is_not_refused(store, typed_staff):
    look_alike = same_mask_other_person(HOLDER_ID)
    assert mask_id(look_alike) == typed_staff.id_masked
    account = draft(store, holder="王大明", national=look_alike)
    assert account.state == "draft"


def test_the_same_full_id_under_another_name_is_refused_naming_the_staff_record(store, typed_staff):
    with pytest.raises(NotAllowed) as refused:
        draft(store, holder="林大仝", national=HOLDER_ID)
    message = refused.value.message_zh
    assert "依第五點第七款" in message and "身分證號相同" in message
    assert "林大同" in message and typed_staff.id_masked in message
    assert "北辰資訊股份有限公司" in message and "維運案" in message
    assert HOLDER_ID not in message
    assert not store.all(NiaAccount)


def test_without_a_full_id_on_record_the_name_and_the_mask_must_both_match(store):
    staff = store.require(VendorStaff, "s")  # seeded with its masked ID only
    assert not staff.id_digest
    look_alike = same_mask_other_person(VENDOR_STAFF_ID)
    assert draft(store, holder="王大明", national=look_alike).state == "draft"
    with pytest.raises(NotAllowed, match="姓名及遮蔽後證號相同"):
        draft(store, holder=staff.name, national=same_mask_other_person(look_alike), login="x2")


def test_a_ticked_vendor_staff_box_is_refused_and_says_so(store):
    with pytest.raises(NotAllowed, match="已勾選申請人為委外廠商人員"):
        draft(store, is_vendor_staff=True)


def test_a_second_application_for_the_same_person_is_refused_until_the_first_is_rejected(store):
    first = draft(store)
    with pytest.raises(NotAllowed, match="不得重複申請") as refused:
        draft(store, login="tpsw0102")
    assert "草稿（待送出）" in refused.value.message_zh and first.holder in refused.value.message_zh
    account_application.submit_account(store, "user.chen", first.id)
    account_application.first_review(store, HEAD, first.id, approve=False, reason="資料不全")
    assert draft(store, login="tpsw0102").state == "draft"


def test_the_status_check_5_7_compares_full_ids_where_both_are_known(store, typed_staff):
    look_alike = draft(store, holder=typed_staff.name, national=same_mask_other_person(HOLDER_ID))
    rows = evaluate(default_catalogue(), store.facts(), clock.today())
    [row] = [r for r in rows if r.obligation_id == "5.7"]
    assert row.status != Status.REJECTED, "a namesake with another full ID is another person"
    assert look_alike.holder_id_digest and look_alike.holder_id_digest != typed_staff.id_digest


def test_a_deleted_digest_key_is_refused_not_replaced_while_digests_made_with_it_exist(settings):
    """A new key would make every stored digest match nobody: 5.7 would quietly stop refusing."""
    from tracker.core.errors import StoreError
    from tracker.domain.vendors import Agency, Contract, Vendor
    from tracker.services.identity import KEY_FILE
    from tracker.storage.store import Store

    store = Store.open(settings)
    store.put(Agency("ag", "臺北市政府社會局"), actor=ACTOR, action="seed")
    store.put(Vendor("v", "北辰資訊股份有限公司", "04595257"), actor=ACTOR, action="seed")
    store.put(
        Contract("c", "v", "ag", "維運案", date(2025, 1, 1), date(2099, 12, 31)),
        actor=ACTOR,
        action="seed",
    )
    staff = vendors.add_staff(
        store, ACTOR, contract_id="c", name="林大同", national_id=HOLDER_ID, start=date(2025, 2, 1)
    )
    assert staff.id_digest
    (store.root / KEY_FILE).unlink()
    reopened = Store.open(settings)
    head = reopened.log.head()
    with pytest.raises(StoreError) as refused:
        vendors.add_staff(
            reopened,
            ACTOR,
            contract_id="c",
            name="王小華",
            national_id=VENDOR_STAFF_ID,
            start=date(2025, 3, 1),
        )
    assert KEY_FILE in refused.value.message_zh and "備份" in refused.value.message_zh
    assert not (reopened.root / KEY_FILE).exists()
    assert [s.name for s in Store.open(settings).all(VendorStaff)] == ["林大同"]
    assert Store.open(settings).log.head() == head


def test_a_new_folder_gets_its_digest_key_at_the_first_full_id(settings):
    from tracker.domain.vendors import Agency, Contract, Vendor
    from tracker.services.identity import KEY_FILE
    from tracker.storage.store import Store

    store = Store.open(settings)
    store.put(Agency("ag", "臺北市政府社會局"), actor=ACTOR, action="seed")
    store.put(Vendor("v", "北辰資訊股份有限公司", "04595257"), actor=ACTOR, action="seed")
    store.put(
        Contract("c", "v", "ag", "維運案", date(2025, 1, 1), date(2099, 12, 31)),
        actor=ACTOR,
        action="seed",
    )
    assert not (store.root / KEY_FILE).exists()
    staff = vendors.add_staff(
        store, ACTOR, contract_id="c", name="林大同", national_id=HOLDER_ID, start=date(2025, 2, 1)
    )
    assert staff.id_digest and (store.root / KEY_FILE).stat().st_mode & 0o077 == 0
