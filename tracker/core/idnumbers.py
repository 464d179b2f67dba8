"""Taiwanese identification numbers: checksums and masking.

* 統一編號 (business administration number of a vendor): eight digits, weights
  1,2,1,2,1,2,4,1, the digits of each product summed; valid when the total is a
  multiple of 5 (the Ministry of Finance widened the rule from 10 to 5 in 2023;
  every old number still passes).  When the seventh digit is 7 its product 28
  counts as either 10 or 1, so ``total + 1`` may be the multiple instead.
* 身分證統一編號 / 統一證號 (national ID or resident certificate number): one
  letter, then nine digits; the letter maps to two digits and a weighted sum must
  be a multiple of 10.  Old-style resident numbers (two letters) are accepted for
  masking but are not checksummed.

A full national ID is never stored or shown in clear by this project: only
``mask_id`` output is kept for vendor staff, query-log subject numbers are
masked on every screen, and :func:`mask_ids_in_text` masks every ID-shaped
number in free text (查詢事由, case references, notes) where it enters and in
every error message (:class:`tracker.core.errors.TrackerError` calls it).

This module raises nothing: the checks that answer with a message
(``check_ubn``, ``masked_national_id``) live at the service edge,
:mod:`tracker.services.vendors`.
"""

from __future__ import annotations

import re
import unicodedata

_UBN_WEIGHTS = (1, 2, 1, 2, 1, 2, 4, 1)
_LETTER_CODES = dict(zip("ABCDEFGHJKLMNPQRSTUVXYWZIO", range(10, 36), strict=True))
_NATIONAL_ID = re.compile(r"^[A-Z][1289][0-9]{8}$")
_MASK_CHAR = "*"
# An ID-shaped number inside free text: a letter, a letter or digit, eight digits,
# half- or full-width, not inside a longer run of digits.  Wider than a valid ID
# on purpose (old two-letter resident numbers, a wrong checksum, lower case):
# masking a number that only looks like an ID costs nothing.
_LETTER = "A-Za-z\uff21-\uff3a\uff41-\uff5a"
_DIGIT = "0-9\uff10-\uff19"
_ID_IN_TEXT = re.compile(
    rf"(?<![{_DIGIT}])[{_LETTER}][{_LETTER}{_DIGIT}][{_DIGIT}]{{8}}(?![{_DIGIT}])"
)
# The one shape mask_id gives a ten-character number: three kept, four masked, three kept.
_MASKED_SHAPE = re.compile(r"^[A-Z][A-Z0-9][0-9]\*{4}[0-9]{3}$")


def is_valid_ubn(ubn: str) -> bool:
    """True when ``ubn`` is eight digits with a valid 統一編號 checksum."""
    if not isinstance(ubn, str) or not re.fullmatch(r"[0-9]{8}", ubn):
        return False
    total = 0
    for digit, weight in zip(ubn, _UBN_WEIGHTS, strict=True):
        product = int(digit) * weight
        total += product // 10 + product % 10
    if total % 5 == 0:
        return True
    return ubn[6] == "7" and (total + 1) % 5 == 0


def is_valid_national_id(value: str) -> bool:
    """True for a 身分證字號 or new-style 統一證號 (letter, 1/2/8/9, eight digits) with a valid checksum."""
    if not isinstance(value, str):
        return False
    value = value.strip().upper()
    if not _NATIONAL_ID.match(value):
        return False
    code = _LETTER_CODES[value[0]]
    digits = [code // 10, code % 10] + [int(c) for c in value[1:]]
    weights = (1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1)
    return sum(d * w for d, w in zip(digits, weights, strict=True)) % 10 == 0


def mask_id(value: str | None) -> str:
    """Mask an identification number for display and storage.

    Ten-character numbers keep their first three and last three characters
    (``A12****789``); other lengths keep the first and last two.  ``None`` or an
    empty string gives ``""``.  A value that is already masked stays as it is.
    """
    if not value:
        return ""
    text = str(value).strip()
    if len(text) == 10:
        return text[:3] + _MASK_CHAR * 4 + text[-3:]
    if len(text) <= 3:
        return _MASK_CHAR * len(text)
    return text[0] + _MASK_CHAR * (len(text) - 3) + text[-2:]


def is_masked_id(value: str) -> bool:
    """True only for the exact shape :func:`mask_id` gives a ten-character number (``A12****789``).

    ``A12345678*`` is no masked ID: its last digit is a checksum, so the number is known.
    """
    return bool(_MASKED_SHAPE.match(value or ""))


def mask_ids_in_text(text: str) -> str:
    """``text`` with every ID-shaped number masked (full-width ones too, given back half-width).

    Meant for free text and messages: ``查詢A123456789之資料`` becomes
    ``查詢A12****789之資料``.  Anything that is not a ``str`` is returned as it is.
    """
    if not isinstance(text, str) or len(text) < 10:
        return text
    return _ID_IN_TEXT.sub(lambda m: mask_id(unicodedata.normalize("NFKC", m[0]).upper()), text)
