"""Domain records to plain JSON documents and back.

Dates become ISO strings, instants ISO strings with their offset, enums their
stable value, tuples lists.  Decoding ignores fields it does not know (a newer
version wrote them) and fills missing ones from the dataclass defaults.  The
per-class decoders are built once from the type hints.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import Any


def to_doc(obj: Any) -> dict:
    """A JSON-ready dict of a dataclass record."""
    return {f.name: _encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)}


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list | frozenset | set):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value):
        return to_doc(value)
    raise TypeError(f"cannot store {type(value).__name__}")


def from_doc(cls: type, doc: dict) -> Any:
    """The record of type ``cls`` that ``doc`` describes."""
    decoders = _decoders(cls)
    kwargs = {name: decode(doc[name]) for name, decode in decoders.items() if name in doc}
    return cls(**kwargs)


@cache
def _decoders(cls: type) -> dict[str, typing.Callable]:
    hints = typing.get_type_hints(cls)
    return {f.name: _decoder(hints[f.name]) for f in dataclasses.fields(cls)}


def _identity(value):
    return value


def _decoder(hint) -> typing.Callable:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        decode = _decoder(inner[0]) if len(inner) == 1 else _identity
        return lambda v: None if v is None else decode(v)
    if origin in (tuple, frozenset):
        decode = _decoder(args[0]) if args else _identity
        container = origin
        return lambda v: container(decode(x) for x in v)
    if hint is datetime:
        return datetime.fromisoformat
    if hint is date:
        return date.fromisoformat
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint
    return _identity
