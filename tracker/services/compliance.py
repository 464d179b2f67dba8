"""Compliance status of everything, from the store's facts and the catalogue."""

from __future__ import annotations

import gc
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
    activity-log line, so the same log position (:meth:`Store.position`, read
    after catching up with other processes) on the same day gives the same
    report, and many people opening the dashboard cost one evaluation.  Treat the returned report as read-only.  ``cached=False``
    (or a catalogue of one's own) always evaluates afresh.
    """
    today = today or clock.today()
    if not cached or catalogue is not None or store.memory:
        return _evaluate(store, today, catalogue or default_catalogue(), vendor_id)
    key = (str(store.log.path), today, vendor_id)
    signature = store.position()
    cached = _report_cache.get(key)
    if cached is not None and cached[0] == signature:
        return cached[1]
    report = _evaluate(store, today, default_catalogue(), vendor_id)
    if len(_report_cache) > 256:
        _report_cache.clear()
    _report_cache[key] = (signature, report)
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


_report_cache: dict[tuple, tuple] = {}
_retention_cache: dict[tuple, int] = {}


def _chain_ok(store: Store) -> bool:
    """7.1: the activity log verifies from the store's last verified position to its end.

    The whole chain is checked by ``python -m tracker log verify`` and ``store
    check`` (nightly, see the README), not on every report.
    """
    return store.log_intact()


def _retention_overdue(store: Store, today: date) -> int:
    """6.2: records kept past their period, counted once a day per log file.

    Within a day the count can only fall (a purge, which replaces the log file):
    a record added or superseded today starts its period today.
    """
    if store.memory:
        return overdue_count(store, today)
    key = (str(store.log.path), today, store.position()[0])
    if key not in _retention_cache:
        _retention_cache[key] = overdue_count(store, today)
    return _retention_cache[key]


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
