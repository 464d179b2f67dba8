"""Which records are stored, in which collection, split into which partitions.

Every kind of record is a frozen dataclass of :mod:`tracker.domain`, listed
once here under its collection name with the owner its partition is named
after (one small table per vendor or agency, see :mod:`tracker.storage.tables`).
Partition names are spelled only in this module (:func:`vendor_part`,
:func:`agency_part`); callers ask the store by vendor or agency.  Nothing here
does I/O.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from hashlib import sha1, sha256

from tracker.domain.accounts import (
    AccountStep,
    AdminChange,
    IpChange,
    NiaAccount,
    ProxyAuthorization,
)
from tracker.domain.audits import QueryLogImport, SampledRecord, SelfAudit
from tracker.domain.corrections import Correction
from tracker.domain.evidence import Evidence, IssuedForm
from tracker.domain.outbox import OutboxContent, OutboxMessage
from tracker.domain.users import AppUser
from tracker.domain.vendors import Agency, Contract, DedicatedPC, Incident, Vendor, VendorStaff

_SAFE = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


@dataclass(frozen=True)
class Collection:
    """A kind of record, its class and how its records are split into partitions."""

    name: str
    cls: type
    owner: Owner = None  # set in __post_init__ when left out
    redact: frozenset[str] = frozenset()

    def __post_init__(self):
        if self.owner is None:
            object.__setattr__(self, "owner", Owner.NONE)

    def partition(self, record) -> str:
        """The partition file name of ``record`` (already safe as a file name)."""
        return partition_of(self.owner, record)

    def doc_partition(self, doc: dict) -> str:
        """The partition file name of a stored document of this collection."""
        return doc_partition(self.owner, doc)


class Owner(Enum):
    """Whose partition a record lives in."""

    NONE = "none"  # one table for the whole collection
    VENDOR = "vendor"
    AGENCY = "agency"
    VENDOR_OR_AGENCY = "vendor_or_agency"  # evidence: the vendor's, else the agency's
    AUDIT = "audit"  # sampled records: one table per agency and audit


def vendor_part(vendor_id: str) -> str:
    """The partition of a vendor's records."""
    return safe_part(f"v-{vendor_id}")


def agency_part(agency_id: str) -> str:
    """The partition of an agency's records."""
    return safe_part(f"a-{agency_id}")


def audit_part(agency_id: str, audit_id: str) -> str:
    """The partition of one audit's sampled records."""
    return safe_part(f"a-{agency_id}.{audit_id}")


def partition_of(owner: Owner, record) -> str:
    """The partition ``record`` is kept in, by its collection's ``owner``."""
    return _partition(owner, lambda name: getattr(record, name))


def doc_partition(owner: Owner, doc: dict) -> str:
    """The partition of a stored document (as :func:`partition_of` for the record it encodes)."""
    return _partition(owner, doc.get)


def _partition(owner: Owner, field) -> str:
    if owner is Owner.VENDOR:
        return vendor_part(field("vendor_id"))
    if owner is Owner.AGENCY:
        return agency_part(field("agency_id"))
    if owner is Owner.VENDOR_OR_AGENCY:
        vendor = field("vendor_id")
        return vendor_part(vendor) if vendor else agency_part(field("agency_id"))
    if owner is Owner.AUDIT:
        return audit_part(field("agency_id"), field("audit_id"))
    return "all"


def parts_for(owner: Owner, *, vendor: str | None = None, agency: str | None = None) -> list[str]:
    """The partitions holding a collection's records of one vendor or agency.

    Raises ValueError when the collection is not split by what was asked.
    """
    if vendor is not None and owner in (Owner.VENDOR, Owner.VENDOR_OR_AGENCY):
        return [vendor_part(vendor)]
    if agency is not None and owner in (Owner.AGENCY, Owner.VENDOR_OR_AGENCY):
        return [agency_part(agency)]
    raise ValueError(f"a {owner.value} collection is not split by vendor={vendor} agency={agency}")


COLLECTIONS: dict[str, Collection] = {}


def _identity(cls: type) -> tuple[str, str]:
    """A class's name by module and qualified name: stable when a module is re-imported."""
    return cls.__module__, cls.__qualname__


def register_collection(
    name: str,
    cls: type,
    owner: Owner = Owner.NONE,
    *,
    redact: Iterable[str] = (),
) -> None:
    """Make ``cls`` storable as ``name`` (the project's records are listed below; tests add their own).

    Fields named in ``redact`` (a password hash) are stored but never written to
    the activity log: the log shows a short digest instead, so a change is
    visible without the value.  Registering the same class again (a module
    re-imported, as Streamlit does when a file changes) replaces the entry;
    another class under the name is refused.
    """
    existing = COLLECTIONS.get(name)
    if existing and _identity(existing.cls) != _identity(cls):
        raise ValueError(f"collection {name} already holds {existing.cls.__name__}")
    COLLECTIONS[name] = Collection(name, cls, owner, frozenset(redact))


def redacted(coll: Collection, doc: dict | None) -> dict | None:
    """``doc`` with the collection's secret fields replaced by a digest, for the activity log."""
    if doc is None or not coll.redact:
        return doc
    out = dict(doc)
    for name in coll.redact & out.keys():
        if out[name]:
            out[name] = "redacted:" + sha256(str(out[name]).encode()).hexdigest()[:12]
    return out


for _name, _cls, _owner in (
    ("agencies", Agency, Owner.NONE),
    ("vendors", Vendor, Owner.NONE),
    ("contracts", Contract, Owner.VENDOR),
    ("staff", VendorStaff, Owner.VENDOR),
    ("pcs", DedicatedPC, Owner.VENDOR),
    ("incidents", Incident, Owner.VENDOR),
    ("evidence", Evidence, Owner.VENDOR_OR_AGENCY),
    ("forms", IssuedForm, Owner.VENDOR),
    ("accounts", NiaAccount, Owner.AGENCY),
    ("account_steps", AccountStep, Owner.AGENCY),
    ("ip_changes", IpChange, Owner.AGENCY),
    ("proxy_authorizations", ProxyAuthorization, Owner.AGENCY),
    ("admin_changes", AdminChange, Owner.AGENCY),
    ("audits", SelfAudit, Owner.AGENCY),
    ("query_log_imports", QueryLogImport, Owner.AGENCY),
    ("sampled_records", SampledRecord, Owner.AUDIT),
    ("corrections", Correction, Owner.NONE),
    ("outbox", OutboxMessage, Owner.VENDOR_OR_AGENCY),
    ("outbox_contents", OutboxContent, Owner.VENDOR_OR_AGENCY),
):
    register_collection(_name, _cls, _owner)
register_collection("users", AppUser, redact=("password_hash",))


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
