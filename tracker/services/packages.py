"""The auditor's package (point 7.1): built for a period and logged once, from the web app or the CLI."""

from __future__ import annotations

from pathlib import Path

from tracker.core.dates import roc_short
from tracker.ops.package import PackageSummary, build_package, write_package
from tracker.ops.package_selection import Period
from tracker.storage.blobs import BlobStore
from tracker.storage.store import Store


def package_file_name(period: Period) -> str:
    """The download name of a package for ``period``: ``稽核資料包-115-01-01至115-12-31.zip``."""
    start, end = (roc_short(d).replace("/", "-") for d in (period.start, period.end))
    return f"稽核資料包-{start}至{end}.zip"


def create_package(
    store: Store,
    blobs: BlobStore,
    actor: str,
    period: Period,
    *,
    agency_id: str | None = None,
    vendor_id: str | None = None,
    out: Path | None = None,
) -> tuple[bytes | None, PackageSummary]:
    """Build the package (written to ``out`` when given, else returned) and log ``audit_package_created``.

    One event with the same details whoever asked: the file name, the period,
    the scope and what went in.  Raises InvalidInput for a malformed scope or an
    existing ``out``; nothing is logged then.
    """
    if out is not None:
        data, summary = None, write_package(out, store, blobs, period, agency_id, vendor_id)
    else:
        data, summary = build_package(store, blobs, period, agency_id, vendor_id, with_summary=True)
    store.record_event(
        actor=actor,
        action="audit_package_created",
        details={
            "file": out.name if out is not None else package_file_name(period),
            "period": [period.start.isoformat(), period.end.isoformat()],
            "agency_id": agency_id,
            "vendor_id": vendor_id,
            "evidence": summary.evidence,
            "audit_records": summary.audit_records,
            "log_lines": summary.log_lines,
            "bytes": summary.bytes,
        },
    )
    return data, summary
