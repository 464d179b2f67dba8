"""統一編號 and national ID checksums, and masking."""

import pytest

from tracker.core.errors import InvalidInput
from tracker.core.idnumbers import check_ubn, is_valid_national_id, is_valid_ubn, mask_id


@pytest.mark.parametrize("ubn", ["04595257", "22099131", "12345675", "10458575"])
def test_valid_business_numbers_pass(ubn):
    assert is_valid_ubn(ubn)


@pytest.mark.parametrize("ubn", ["04595258", "1234567", "123456789", "abcdefgh", "", "0459525７"])
def test_invalid_business_numbers_fail(ubn):
    assert not is_valid_ubn(ubn)


def test_the_seventh_digit_seven_rule_accepts_either_sum():
    # 10458575: 7th digit 7; its total is a multiple of 5 only when 28 counts as 1 (total + 1)
    assert is_valid_ubn("10458575")


def test_check_ubn_names_the_problem():
    with pytest.raises(InvalidInput, match="8 digits"):
        check_ubn("123")
    with pytest.raises(InvalidInput, match="checksum"):
        check_ubn("04595258")


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("A123456789", True),
        ("A123456788", False),
        ("a123456789", True),
        ("A323456789", False),
        ("AB23456789", False),
        ("", False),
    ],
)
def test_national_id_checksum(value, ok):
    assert is_valid_national_id(value) is ok


def test_masking_keeps_only_the_ends():
    assert mask_id("A123456789") == "A12****789"
    assert mask_id("AB12345678") == "AB1****678"
    assert mask_id("") == "" and mask_id(None) == ""
    assert "4567" not in mask_id("A1234567")
