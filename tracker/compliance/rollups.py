"""Roll-ups of status rows: compliance percentages per vendor, contract, obligation, agency."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tracker.domain.enums import Status

if TYPE_CHECKING:
    from tracker.compliance.results import ObligationStatus


@dataclass(frozen=True)
class Rollup:
    """``ok`` of ``applicable`` rows; ``percent`` is ``None`` when nothing applies."""

    ok: int
    applicable: int
    counts: dict

    @property
    def percent(self) -> float | None:
        return round(100.0 * self.ok / self.applicable, 1) if self.applicable else None


def rollup(rows: Iterable[ObligationStatus], key: str | None = None) -> dict:
    """Compliance per value of ``key`` (``vendor_id``, ``contract_id``,
    ``obligation_id``, ``agency_id``) or, with ``key=None``, overall under ``None``.
    Rows whose key is empty are left out of a keyed roll-up.
    """
    ok: dict = defaultdict(int)
    applicable: dict = defaultdict(int)
    counts: dict = defaultdict(lambda: defaultdict(int))
    for r in rows:
        k = getattr(r, key) if key else None
        if key and k is None:
            continue
        counts[k][r.status.value] += 1
        if r.status != Status.NOT_APPLICABLE:
            applicable[k] += 1
            ok[k] += r.ok
    return {k: Rollup(ok[k], applicable[k], dict(counts[k])) for k in counts}
