"""Compliance status of everything, from the store's facts and the catalogue."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import date

from tracker import clock
from tracker.catalogue import Catalogue, default_catalogue
from tracker.retention import overdue_count
from tracker.services.audits import flagged_accounts
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
    facts = replace(
        store.facts(),
        log_chain_ok=_per_log_state(store, "chain", lambda: store.log.verify().ok),
        retention_overdue=_per_log_state(
            store, f"retention {today}", lambda: overdue_count(store, today)
        ),
        flagged_accounts=flagged_accounts(store),
    )
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


_log_state_cache: dict[tuple, object] = {}


def _per_log_state(store: Store, name: str, compute):
    """``compute()`` re-used while the activity log is unchanged.

    Every change to the data is appended to the activity log first, so an
    unchanged log (same file, same size) means unchanged data: the chain check
    (7.1) and the retention count (6.2) need not be redone on every page view.
    """
    if store.memory:
        return compute()
    try:
        st = os.stat(store.log.path)
        signature = (st.st_ino, st.st_size)
    except FileNotFoundError:
        signature = (0, 0)
    key = (str(store.log.path), name)
    cached = _log_state_cache.get(key)
    if cached is not None and cached[0] == signature:
        return cached[1]
    value = compute()
    _log_state_cache[key] = (signature, value)
    return value
