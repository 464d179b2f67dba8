"""5.7: when two records (a vendor staff member, an NIA account holder) name the same person."""

from __future__ import annotations

from typing import NamedTuple


class Person(NamedTuple):
    """Who a record names: the name, the masked national ID and the keyed digest of the full ID
    (``""`` where unknown; see :mod:`tracker.services.identity`)."""

    name: str
    id_masked: str = ""
    id_digest: str = ""


def same_person(a: Person, b: Person) -> bool:
    """5.7: ``a`` and ``b`` are the same person.

    Read as: where both full national IDs are known (their digests), they decide alone — a name
    or a masked ID shared by two different people is no match, and one person's changed name still
    is.  Otherwise the names must match and, where both masked IDs are known, the masks too.  A
    masked ID alone (first three and last three characters) never decides: many people share one.
    """
    if a.id_digest and b.id_digest:
        return a.id_digest == b.id_digest
    if a.name != b.name:
        return False
    return not (a.id_masked and b.id_masked) or a.id_masked == b.id_masked
