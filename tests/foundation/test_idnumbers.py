"""統一編號 and national ID checksums, and masking."""

import pytest

from tracker.core.errors import InvalidInput
from tracker.core.idnumbers import (
    is_masked_id,
    is_valid_national_id,
    is_valid_ubn,
    mask_id,
    mask_ids_in_text,
)
from tracker.services.vendors import check_ubn, masked_national_id


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


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("查詢A123456789之資料", "查詢A12****789之資料"),
        ("個案 a123456789", "個案 A12****789"),
        ("全形Ａ１２３４５６７８９", "全形A12****789"),
        ("新式統一證號A800000014，舊式AB12345678", "新式統一證號A80****014，舊式AB1****678"),
        ("XA123456789", "XA12****789"),
        ("電話 0912345678、訂單 12345678901", "電話 0912345678、訂單 12345678901"),
        ("已遮蔽 A12****789", "已遮蔽 A12****789"),
    ],
)
def test_every_id_shaped_number_in_free_text_is_masked(text, shown):
    assert mask_ids_in_text(text) == shown


def test_an_error_message_never_carries_a_full_id():
    error = InvalidInput("缺少必要欄位；檔案的欄位為：A123456789、王小明", "first row A123456789")
    assert "A123456789" not in str(error) and "A12****789" in error.message_zh
    assert "A12****789" in error.message_en


@pytest.mark.parametrize(
    "masked", ["A12345678*", "A1234*6789", "A1****789", "**********", "A12***7890"]
)
def test_only_the_exact_masked_shape_is_accepted_as_already_masked(masked):
    assert not is_masked_id(masked)
    with pytest.raises(InvalidInput, match="A12\\*\\*\\*\\*789"):
        masked_national_id(masked)


def test_a_full_width_national_id_is_checked_and_masked():
    assert masked_national_id("Ａ１２３４５６７８９") == "A12****789"
    assert masked_national_id("A12****789") == "A12****789" and is_masked_id("A12****789")
