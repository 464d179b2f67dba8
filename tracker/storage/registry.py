"""Which records are stored, in which collection, split into which partitions.

Each kind of record is a frozen dataclass registered under a collection name
with a function naming its partition (one small table per vendor or agency, see
:mod:`tracker.storage.store`).  Modules with records of their own call
:func:`register_collection` once at import.  Nothing here does I/O.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from hashlib import sha1, sha256

from tracker.domain.model import (
    Agency,
    Contract,
    DedicatedPC,
    Evidence,
    Incident,
    NiaAccount,
    SelfAudit,
    Vendor,
    VendorStaff,
)

_SAFE = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


@dataclass(frozen=True)
class Collection:
    """A kind of record, its class and how its records are split into partitions."""

    name: str
    cls: type
    partition: Callable[[object], str]
    redact: frozenset[str] = frozenset()


def _single(_obj) -> str:
    return "all"


def _by_vendor(obj) -> str:
    return f"v-{obj.vendor_id}"


def _by_agency(obj) -> str:
    return f"a-{obj.agency_id}"


def _evidence_partition(ev: Evidence) -> str:
    return f"v-{ev.vendor_id}" if ev.vendor_id else f"a-{ev.agency_id}"


COLLECTIONS: dict[str, Collection] = {}


def _identity(cls: type) -> tuple[str, str]:
    """A class's name by module and qualified name: stable when a module is re-imported."""
    return cls.__module__, cls.__qualname__


def register_collection(
    name: str,
    cls: type,
    partition: Callable[[object], str] = _single,
    *,
    redact: Iterable[str] = (),
) -> None:
    """Make ``cls`` storable as ``name``; modules with their own records call this once.

    Fields named in ``redact`` (a password hash) are stored but never written to
    the activity log: the log shows a short digest instead, so a change is
    visible without the value.  Registering the same class again (a module
    re-imported, as Streamlit does when a file changes) replaces the entry;
    another class under the name is refused.
    """
    existing = COLLECTIONS.get(name)
    if existing and _identity(existing.cls) != _identity(cls):
        raise ValueError(f"collection {name} already holds {existing.cls.__name__}")
    COLLECTIONS[name] = Collection(name, cls, partition, frozenset(redact))


def redacted(coll: Collection, doc: dict | None) -> dict | None:
    """``doc`` with the collection's secret fields replaced by a digest, for the activity log."""
    if doc is None or not coll.redact:
        return doc
    out = dict(doc)
    for name in coll.redact & out.keys():
        if out[name]:
            out[name] = "redacted:" + sha256(str(out[name]).encode()).hexdigest()[:12]
    return out


for _name, _cls, _part in (
    ("agencies", Agency, _single),
    ("vendors", Vendor, _single),
    ("contracts", Contract, _by_vendor),
    ("staff", VendorStaff, _by_vendor),
    ("pcs", DedicatedPC, _by_vendor),
    ("incidents", Incident, _by_vendor),
    ("evidence", Evidence, _evidence_partition),
    ("accounts", NiaAccount, _by_agency),
    ("audits", SelfAudit, _by_agency),
):
    register_collection(_name, _cls, _part)


def collection_of(obj_or_cls) -> Collection:
    """The collection a record (or record class) is stored in; ``KeyError`` if none."""
    cls = obj_or_cls if isinstance(obj_or_cls, type) else type(obj_or_cls)
    identity = _identity(cls)
    for c in COLLECTIONS.values():
        if c.cls is cls or _identity(c.cls) == identity:
            return c
    raise KeyError(f"{cls.__name__} is not a stored record")


def safe_part(name: str) -> str:
    """A partition name safe as a file name (ids are ours, but never trust a path)."""
    return (
        name
        if _SAFE.match(name) and name not in (".", "..")
        else "h-" + sha1(name.encode()).hexdigest()
    )


def new_id(prefix: str) -> str:
    """A fresh record id such as ``ev-3f9c…`` (random, 12 hex digits)."""
    return f"{prefix}-{os.urandom(6).hex()}"
