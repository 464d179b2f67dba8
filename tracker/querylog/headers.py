"""The header of an export: which column holds which field, and which columns hold none.

:func:`map_headers` maps each field of :data:`tracker.querylog.schema.COLUMN_ALIASES`
to its column or refuses the header (duplicates, two columns for one field,
required fields missing); :func:`unrecognised_columns` lists what was left.
"""

from __future__ import annotations

import re
import unicodedata

from tracker.querylog.checks import refusal
from tracker.querylog.schema import COLUMN_ALIASES, LABELS, REQUIRED


def _normalise(name: str) -> str:
    return re.sub(r"[\s_\-\ufeff]", "", unicodedata.normalize("NFKC", name).casefold())


# An annotation in brackets after (or before) a header's name: 查詢事由（公文文號）,
# 查詢時間[yyyy/mm/dd], 【必填】帳號.  NFKC has made full-width brackets ASCII.
_ANNOTATION = re.compile(
    r"\([^()]*\)|\[[^\[\]]*\]|\{[^{}]*\}|【[^【】]*】|〔[^〔〕]*〕|<[^<>]*>|《[^《》]*》|〈[^〈〉]*〉"
)
_ALIAS_INDEX = {_normalise(a): f for f, names in COLUMN_ALIASES.items() for a in (f, *names)}


def _key(name: str) -> str:
    """The name a header is matched by: its own, or without its bracketed annotations."""
    key = _normalise(name)
    if key in _ALIAS_INDEX:
        return key
    bare = _normalise(_ANNOTATION.sub("", unicodedata.normalize("NFKC", name)))
    return bare if bare in _ALIAS_INDEX else key


def field_index(headers: list[str]) -> dict[str, int]:
    """Field -> column index for recognised headers (first one wins; see map_headers)."""
    index: dict[str, int] = {}
    for position, name in enumerate(headers):
        found = _ALIAS_INDEX.get(_key(name))
        if found:
            index.setdefault(found, position)
    return index


def unrecognised_columns(headers: list[str], index: dict[str, int]) -> tuple[str, ...]:
    """The headers of the columns no field was read from, in file order.

    A column without a header is named by its position (``第 3 欄``); empty
    headers after the last named column (trailing separators) are no columns.
    """
    used = set(index.values())
    named = [position for position, name in enumerate(headers) if name.strip()]
    last = max(named, default=-1)
    return tuple(
        headers[position].strip() or f"第 {position + 1} 欄"
        for position in range(last + 1)
        if position not in used
    )


def map_headers(headers: list[str]) -> dict[str, int]:
    """Field -> column index; raises InvalidInput for duplicate or ambiguous
    headers and for missing required fields.

    A header is matched by its name after NFKC, casefolding and dropping
    spaces, ``_`` and ``-``; a name that matches no field is tried once more
    without its bracketed annotations (``查詢事由（公文文號）``).
    """
    seen: dict[str, list[int]] = {}
    for position, name in enumerate(headers):
        if _normalise(name):
            seen.setdefault(_normalise(name), []).append(position)
    fields: dict[str, list[int]] = {}
    for positions in seen.values():
        field = _ALIAS_INDEX.get(_key(headers[positions[0]]))
        if field:
            fields.setdefault(field, []).extend(positions)
    problems = [_duplicate(headers, p) for p in seen.values() if len(p) > 1]
    problems += [_ambiguous(headers, f, p) for f, p in fields.items() if len(p) > 1]
    missing = [f for f in REQUIRED if f not in fields]
    if missing:
        problems.append(_missing(missing, headers))
    if problems:
        raise refusal(list(dict.fromkeys(problems)))
    return {name: positions[0] for name, positions in fields.items()}


def _duplicate(headers: list[str], positions: list[int]) -> tuple[str, str]:
    name, columns = headers[positions[0]], [str(p + 1) for p in positions]
    return (
        f"標題「{name}」重複（第 {'、'.join(columns)} 欄）",
        f"duplicate header {name!r} (columns {', '.join(columns)})",
    )


def _ambiguous(headers: list[str], field: str, positions: list[int]) -> tuple[str, str]:
    if len({_normalise(headers[p]) for p in positions}) == 1:
        return _duplicate(headers, positions)  # the same name twice, already reported
    names = [headers[p] for p in positions]
    return (
        f"欄位「{'」「'.join(names)}」都代表{LABELS[field]}，只能留一欄",
        f"columns {', '.join(map(repr, names))} all mean {field}; keep one",
    )


def _missing(missing: list[str], headers: list[str]) -> tuple[str, str]:
    found = "、".join(h for h in headers if h)[:200] or "（無）"
    hint = (
        ("（分隔符號須為逗號）", " (the separator must be a comma)")
        if len(headers) == 1
        else ("", "")
    )
    return (
        f"缺少必要欄位：{'、'.join(LABELS[f] for f in missing)}；檔案的欄位為：{found}{hint[0]}",
        f"missing required columns: {', '.join(missing)}; the file has: {found}{hint[1]}",
    )
