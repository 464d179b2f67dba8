"""Compliance status of everything, from the store's facts and the catalogue."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from tracker import clock
from tracker.catalogue import Catalogue, default_catalogue
from tracker.status import ObligationStatus, Rollup, evaluate, rollup
from tracker.store import Store


@dataclass(frozen=True)
class ComplianceReport:
    """Every status row and the roll-ups the dashboard and ``status`` show."""

    today: date
    rows: list[ObligationStatus]
    overall: Rollup
    by_vendor: dict[str, Rollup]
    by_contract: dict[str, Rollup]
    by_obligation: dict[str, Rollup]
    by_agency: dict[str, Rollup]


def compliance_report(
    store: Store,
    today: date | None = None,
    catalogue: Catalogue | None = None,
    *,
    vendor_id: str | None = None,
) -> ComplianceReport:
    """Evaluate every obligation; with ``vendor_id`` keep only that vendor's rows."""
    today = today or clock.today()
    catalogue = catalogue or default_catalogue()
    facts = store.facts()
    chain = store.log.verify().ok if store.memory else _cached_chain_check(store)
    facts = replace(facts, log_chain_ok=chain)
    rows = evaluate(catalogue, facts, today)
    if vendor_id is not None:
        rows = [r for r in rows if r.vendor_id == vendor_id]
    return ComplianceReport(
        today=today,
        rows=rows,
        overall=rollup(rows).get(None, Rollup(0, 0, {})),
        by_vendor=rollup(rows, "vendor_id"),
        by_contract=rollup(rows, "contract_id"),
        by_obligation=rollup(rows, "obligation_id"),
        by_agency=rollup(rows, "agency_id"),
    )


_chain_cache: dict[str, tuple[tuple, bool]] = {}


def _cached_chain_check(store: Store) -> bool:
    """Verify the activity log, re-using the answer while the log file is unchanged."""
    import os

    try:
        st = os.stat(store.log.path)
        key = (st.st_size, st.st_mtime_ns, st.st_ino)
    except FileNotFoundError:
        key = (0, 0, 0)
    cached = _chain_cache.get(str(store.log.path))
    if cached and cached[0] == key:
        return cached[1]
    ok = store.log.verify().ok
    _chain_cache[str(store.log.path)] = (key, ok)
    return ok
