"""The canonical JSON the activity log hashes: rules the project owns, not a library's output.

A line's ``hash`` is the SHA-256 of the UTF-8 bytes of its other fields in this
form, so the bytes must not depend on which serialiser (or which version of
it) is installed.  The rules:

* objects: members sorted by key (Unicode code points), written ``{"k":v,…}``
  with no whitespace; keys are strings;
* arrays: ``[a,b,…]``; a tuple is an array;
* strings: UTF-8 as is, except ``"`` → ``\\"``, ``\\`` → ``\\\\``, the control
  characters U+0008, U+0009, U+000A, U+000C, U+000D as ``\\b \\t \\n \\f \\r``
  and every other character below U+0020 as ``\\u00xx`` (lower-case hex);
  nothing else is escaped (not DEL, not U+2028, not non-ASCII text);
* ``true``, ``false``, ``null``; integers in decimal;
* floats: the shortest digits that read back as the same float (Python's
  ``repr``); written without exponent when 1e-5 <= |x| < 1e16 (e.g. ``0.00001``,
  ``123.0``, ``-0.0``) and otherwise as ``<digits>e<exponent>`` with no ``+``
  and no leading zeros in the exponent (``1e16``, ``6.26812346e20``,
  ``1e-6``); NaN and infinities are written ``null``.

These are exactly the bytes orjson 3.8 wrote, so every log written before the
project owned the form still verifies.  :func:`canonical_text` is the
reference, standard library only; the auditor's package carries its source
(:mod:`tracker.ops.package_texts`).  :func:`canonical_bytes` gives the same
bytes faster: orjson is used only for values without floats, and only after a
check at import that it writes the sample of tricky values below exactly as
the reference does.
"""

from __future__ import annotations

import math
import re

import orjson

# --- the rules: this block is copied verbatim into the auditor's verify_chain.py ---
# (standard library only, Python 3.6 or later; see tracker.ops.package_texts)

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}
_ESCAPED = re.compile(r'["\\\x00-\x1f]')


def canonical_text(value) -> str:
    """``value`` (dicts with string keys, lists, tuples, str, int, float, bool, None) in canonical form.

    Raises TypeError for anything else.
    """
    if isinstance(value, str):
        return '"' + _ESCAPED.sub(_escape, value) + '"'
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return canonical_number(value)
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"object keys must be strings, not {type(key).__name__}")
        items = sorted(value.items())
        return "{" + ",".join(canonical_text(k) + ":" + canonical_text(v) for k, v in items) + "}"
    if isinstance(value, (list, tuple)):  # noqa: UP038 - the auditor may run Python < 3.10
        return "[" + ",".join(canonical_text(v) for v in value) + "]"
    raise TypeError(f"{type(value).__name__} has no canonical JSON form")


def _escape(match) -> str:
    char = match.group(0)
    return _ESCAPES.get(char) or f"\\u{ord(char):04x}"


def canonical_number(value: float) -> str:
    """A float by the rules above (``repr``'s digits; plain from 1e-5 up to 1e16)."""
    if not math.isfinite(value):
        return "null"
    text = repr(value)
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    power = int(exponent)
    if power == -5:  # repr switches to an exponent below 1e-4, the rule only below 1e-5
        sign, digits = ("-", mantissa[1:]) if mantissa.startswith("-") else ("", mantissa)
        return sign + "0.0000" + digits.replace(".", "")
    return mantissa + "e" + str(power)


# --- end of the rules ---


def canonical_bytes(value) -> bytes:
    """:func:`canonical_text` of ``value`` as UTF-8 bytes (raises TypeError like it)."""
    if _ORJSON_AGREES and _plain(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except TypeError:
            pass  # an integer beyond 64 bits or a type orjson refuses: the reference decides
    return canonical_text(value).encode("utf-8")


_SCALARS = frozenset((str, int, bool, type(None)))


def _plain(value) -> bool:
    """Whether ``value`` holds only containers, strings, integers, booleans and ``None``
    (no float, no type orjson would write but the rules do not know, such as an enum)."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            stack.extend(item.values())
        elif kind is list or kind is tuple:
            stack.extend(item)
        elif kind not in _SCALARS:
            return False
    return True


# Values whose bytes a serialiser could write differently: escapes, non-ASCII,
# keys that sort differently by UTF-16 and by code point, the edges of 64 bits.
SAMPLE = {
    "text": 'é\n\t"\\\u2028\x00\x1f\x7f\b\f\r 臺北 \U0001f600',
    "\uffff": 1,
    "\U0001f600": 2,
    "ints": [0, -1, 2**63 - 1, -(2**63), 2**64 - 1],
    "nested": {"b": [True, False, None], "a": {}},
    "list": [],
}


def _orjson_agrees() -> bool:
    try:
        return orjson.dumps(SAMPLE, option=orjson.OPT_SORT_KEYS) == canonical_text(SAMPLE).encode()
    except TypeError:
        return False


_ORJSON_AGREES = _orjson_agrees()
