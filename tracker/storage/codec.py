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
    if isinstance(value, Enum):  # before str: a str-valued enum is a str too, but not a plain one
        return value.value
    if value is None or isinstance(value, bool | int | float | str):
        return value
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
    """The record of type ``cls`` that ``doc`` describes (TypeError when a required field is missing)."""
    fields, defaults, required, direct = _plan(cls)
    values = {}
    for name, decode in fields:
        if name in doc:
            value = doc[name]
            values[name] = value if decode is None else decode(value)
    if not direct or not all(name in values for name in required):
        return cls(**values)
    # A frozen dataclass without __post_init__: its __init__ only sets each field (slowly,
    # through object.__setattr__); loading 10^5 records at once makes the difference worth it.
    for name, factory, default in defaults:
        if name not in values:
            values[name] = factory() if factory is not None else default
    obj = object.__new__(cls)
    obj.__dict__.update(values)
    return obj


@cache
def _plan(cls: type) -> tuple[tuple, tuple, tuple, bool]:
    """``(name, decoder or None)`` per field, ``(name, factory, default)`` per optional field,
    the required fields, and whether a record may be built without calling ``__init__``."""
    hints = typing.get_type_hints(cls)
    fields, defaults, required = [], [], []
    for f in dataclasses.fields(cls):
        decode = _decoder(hints[f.name])
        fields.append((f.name, None if decode is _identity else decode))
        if f.default_factory is not dataclasses.MISSING:
            defaults.append((f.name, f.default_factory, None))
        elif f.default is not dataclasses.MISSING:
            defaults.append((f.name, None, f.default))
        else:
            required.append(f.name)
    params = getattr(cls, "__dataclass_params__", None)
    plain = not hasattr(cls, "__post_init__") and "__slots__" not in vars(cls)
    return tuple(fields), tuple(defaults), tuple(required), bool(params and params.frozen and plain)


def _identity(value):
    return value


def _decoder(hint) -> typing.Callable:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        decode = _decoder(inner[0]) if len(inner) == 1 else _identity
        if decode is _identity:
            return _identity
        return lambda v: None if v is None else decode(v)
    if origin in (tuple, frozenset):
        decode = _decoder(args[0]) if args else _identity
        container = origin
        if decode is _identity:
            return container  # tuple(list) at C speed: most tuples hold plain strings
        return lambda v: container(decode(x) for x in v)
    if hint is datetime:
        return datetime.fromisoformat
    if hint is date:
        return date.fromisoformat
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint
    return _identity
