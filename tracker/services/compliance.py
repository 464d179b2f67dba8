"""Compliance status of everything, from the store's facts and the catalogue."""

from __future__ import annotations

import gc
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date

from tracker.compliance.catalogue import Catalogue
from tracker.compliance.loader import default_catalogue
from tracker.compliance.results import ObligationStatus
from tracker.compliance.rollups import Rollup, rollup
from tracker.compliance.status import evaluate
from tracker.core import clock
from tracker.ops.retention_report import overdue_count
from tracker.services.audits import flagged_accounts
from tracker.storage.store import Store


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
    cached: bool = True,
) -> ComplianceReport:
    """Evaluate every obligation; with ``vendor_id`` keep only that vendor's rows.

    The report is shared while the data is unchanged: every change is an
    activity-log line, so the same store position (:meth:`Store.position`,
    taken after catching up with other processes) on the same day gives the
    same report, and many people opening the dashboard cost one evaluation.
    Treat the returned report as read-only.  ``cached=False`` (or a catalogue
    of one's own) always evaluates afresh.
    """
    today = today or clock.today()
    if not cached or catalogue is not None or store.memory:
        return _evaluate(store, today, catalogue or default_catalogue(), vendor_id)
    reports = _report_cache.setdefault(store, {})
    key, signature = (today, vendor_id), store.position()
    cached = reports.get(key)
    if cached is not None and cached[0] == signature:
        return cached[1]
    report = _evaluate(store, today, default_catalogue(), vendor_id)
    if len(reports) > 256:
        reports.clear()
    reports[key] = (signature, report)
    return report


def _evaluate(
    store: Store, today: date, catalogue: Catalogue, vendor_id: str | None
) -> ComplianceReport:
    facts = replace(
        store.facts(),
        log_chain_ok=_chain_ok(store),
        retention_overdue=_retention_overdue(store, today),
        flagged_accounts=flagged_accounts(store),
    )
    with _collector_paused():
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


# per store (weakly: a store closed and dropped takes its entries with it)
_report_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_retention_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _chain_ok(store: Store) -> bool:
    """7.1: the activity log verifies from the store's last verified position to its end.

    ``python -m tracker log verify`` always checks it all.
    """
    return store.log_intact()


def _retention_overdue(store: Store, today: date) -> int:
    """6.2: records kept past their period, counted once a day per log (re)written.

    Within a day the count can only fall (a purge, which rewrites the log and
    so changes the first part of the store's position): a record added or
    superseded today starts its period today.
    """
    if store.memory:
        return overdue_count(store, today)
    counts = _retention_cache.setdefault(store, {})
    key = (today, store.position()[0])
    if key not in counts:
        counts[key] = overdue_count(store, today)
    return counts[key]


@contextmanager
def _collector_paused():
    """Building ~10^5 rows over ~10^6 live records would trigger full GC passes (about 1 s each
    at L); the rows are plain data without cycles, so the collector waits until they are built."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
