"""Contact addresses: checked on entry, a bad one changes nothing; old records still decode."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.core.errors import InvalidInput
from tracker.domain.vendors import Agency, Vendor
from tracker.notify.addresses import MAX_ADDRESSES, check_address, check_addresses
from tracker.services import vendors as v
from tracker.services.contacts import missing_addresses, set_agency_addresses, set_vendor_emails
from tracker.storage.codec import from_doc

from .conftest import ACTOR

GOOD = [
    ("a@example.org", "a@example.org"),
    ("First.Last+tag@Sub.Example.ORG", "First.Last+tag@sub.example.org"),
    ("o'neil_x-1@mail.example.org", "o'neil_x-1@mail.example.org"),
    ("  it@sw.example.org  ", "it@sw.example.org"),
    ("x@xn--kpry57d.example", "x@xn--kpry57d.example"),
]
BAD = [
    "",
    "a",
    "a@",
    "@example.org",
    "a@example",
    "a b@example.org",
    "a@-example.org",
    "a@example-.org",
    "a@example..org",
    "a..b@example.org",
    ".a@example.org",
    "a.@example.org",
    "王小明@example.org",
    "a@例子.org",
    "a@[127.0.0.1]",
    "a@1.2.3.4",
    "<a@example.org>",
    '"a"@example.org',
    "a@example.org>",
    "a@b@example.org",
    "x" * 65 + "@example.org",
    "a@" + "b" * 250 + ".org",
    "a@example.o",
    "a@example.org.",
]


@pytest.mark.parametrize(("text", "kept"), GOOD)
def test_a_plain_address_is_accepted_with_its_domain_in_lower_case(text, kept):
    assert check_address(text) == kept


@pytest.mark.parametrize("text", BAD)
def test_anything_else_is_refused_with_a_message_naming_it(text):
    with pytest.raises(InvalidInput) as caught:
        check_address(text)
    assert "電子郵件地址格式錯誤" in caught.value.message_zh
    assert text.strip()[:80] in caught.value.message_zh


def test_a_list_may_be_split_by_lines_commas_semicolons_or_spaces_and_keeps_each_address_once():
    text = "a@example.org\nb@example.org，c@example.org；d@example.org A@EXAMPLE.org ,, "
    assert check_addresses(text) == (
        "a@example.org",
        "b@example.org",
        "c@example.org",
        "d@example.org",
    )
    assert check_addresses("") == () and check_addresses(None) == ()


def test_a_header_smuggled_after_an_address_is_refused():
    with pytest.raises(InvalidInput):
        check_addresses("a@example.org\r\nBcc: evil@example.net")


def test_more_than_ten_addresses_are_refused():
    many = [f"u{n}@example.org" for n in range(MAX_ADDRESSES + 1)]
    assert len(check_addresses(many[:-1])) == MAX_ADDRESSES
    with pytest.raises(InvalidInput, match="最多 10 個"):
        check_addresses(many)


@given(st.text(max_size=80))
def test_any_text_is_either_refused_or_gives_plain_ascii_addresses(text):
    try:
        out = check_addresses(text)
    except InvalidInput:
        return
    for address in out:
        assert address.isascii() and address.count("@") == 1 and " " not in address
        assert check_address(address) == address


def log_size(settings) -> int:
    return (settings.data_dir / "activity-log.jsonl").stat().st_size


def test_one_bad_address_in_an_agency_form_changes_nothing(world, settings):
    before, size = world.require(Agency, "ag-sw"), log_size(settings)
    with pytest.raises(InvalidInput) as caught:
        set_agency_addresses(
            world, ACTOR, "ag-sw", it_office="new-it@sw.example.org", ethics_contact="ethics@@sw"
        )
    assert (
        caught.value.message_zh.startswith("政風單位：") and "ethics@@sw" in caught.value.message_zh
    )
    assert world.require(Agency, "ag-sw") == before and log_size(settings) == size


def test_a_vendor_form_with_a_bad_address_saves_nothing(world, settings):
    before, size = world.require(Vendor, "v-a"), log_size(settings)
    with pytest.raises(InvalidInput, match="通知電子郵件"):
        v.save_vendor(
            world, ACTOR, name="新名稱", ubn=before.ubn, vendor_id="v-a", contact_emails="x@y"
        )
    assert world.require(Vendor, "v-a") == before and log_size(settings) == size


def test_saving_a_vendor_or_an_agency_without_addresses_keeps_the_ones_they_have(world):
    vendor = world.require(Vendor, "v-a")
    v.save_vendor(world, ACTOR, name="北辰資訊", ubn=vendor.ubn, vendor_id="v-a")
    assert world.require(Vendor, "v-a").contact_emails == vendor.contact_emails
    v.save_agency(world, ACTOR, name="臺北市政府社會局", agency_id="ag-sw", account_admin="陳建宏")
    assert world.require(Agency, "ag-sw").it_office_emails == ("it@sw.example.org",)


def test_a_vendor_replaces_its_own_addresses_and_the_change_is_logged(world, settings):
    size = log_size(settings)
    saved = set_vendor_emails(world, "vendor.a", "v-a", "new@beichen.example.org")
    assert saved.contact_emails == ("new@beichen.example.org",) and log_size(settings) > size
    assert set_vendor_emails(world, "vendor.a", "v-a", "new@beichen.example.org") == saved


def test_records_written_before_addresses_existed_decode_with_none(world):
    assert from_doc(Agency, {"id": "ag-x", "name": "舊機關"}) == Agency("ag-x", "舊機關")
    assert from_doc(Vendor, {"id": "v-x", "name": "舊廠商", "ubn": "04595257"}).contact_emails == ()


def test_the_parties_without_an_address_are_listed(world):
    assert ("青禾數位科技股份有限公司", "委外廠商") in missing_addresses(world)
    assert not [m for m in missing_addresses(world) if m[0] == "北辰資訊股份有限公司"]
