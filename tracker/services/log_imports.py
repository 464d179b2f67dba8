"""Importing the NIA's query-log exports for the self-audit (7.1, 7.2).

:func:`import_query_log` keeps an export: its rows in the
:class:`~tracker.querylog.store.LogStore`, the original file in the evidence folder
by SHA-256, and a :class:`QueryLogImport` record in the store — one
transaction (:class:`~tracker.storage.staging.Transaction`), so a crash or a
full disk leaves all of it or none, and a retry works.
"""

from __future__ import annotations

from tracker.core import clock
from tracker.core.errors import InvalidInput
from tracker.domain.audits import QueryLogImport
from tracker.domain.vendors import Agency
from tracker.querylog.isolated import read_export_isolated
from tracker.querylog.store import LogStore, already_imported
from tracker.services.vendors import clean_text
from tracker.storage.blobs import BlobStore
from tracker.storage.registry import new_id
from tracker.storage.staging import Transaction
from tracker.storage.store import Store


def log_store(settings) -> LogStore:
    """The query-log store of a data folder: ``<data dir>/query-logs`` (see :mod:`tracker.querylog.store`)."""
    return LogStore(settings.data_dir / "query-logs")


def import_query_log(
    store: Store,
    logs: LogStore,
    blobs: BlobStore,
    actor: str,
    *,
    agency_id: str,
    data: bytes,
    filename: str = "",
) -> QueryLogImport:
    """Check and keep one export for ``agency_id`` (7.1, 7.2).

    Raises InvalidInput for an unknown agency, a file the parser refuses (its
    message), or a file already imported for the agency (by the store's
    records: an import a crash left half done is not one); nothing is kept then.
    """
    if store.get(Agency, agency_id) is None:
        raise InvalidInput(f"查無機關 {agency_id}", f"unknown agency {agency_id!r}")
    filename = clean_text(filename, "檔名", "file name", required=False, max_len=255)
    log = read_export_isolated(data, filename=filename or None)  # an XLSX in a limited child
    with Transaction(store) as tx:  # file, Parquet, manifest entry, record and log line together
        earlier = [r for r in list_imports(store, agency_id) if r.sha256 == log.sha256]
        if earlier:
            raise already_imported(earlier[0])
        tx.add_blob(blobs, bytes(data))
        entry = tx.add_import(logs, log, agency_id, actor, clock.now())
        record = QueryLogImport(
            id=new_id("qli"),
            agency_id=agency_id,
            sha256=entry.sha256,
            rows=entry.rows,
            imported_by=actor,
            imported_at=entry.imported_at,
            format=entry.format,
            filename=filename,
            first_queried_at=entry.first_queried_at,
            last_queried_at=entry.last_queried_at,
            unrecognised_columns=log.unrecognised_columns,
            totals_row_line=log.totals_row.line if log.totals_row else None,
            totals_row_count=log.totals_row.count if log.totals_row else None,
        )
        return store.put(record, actor=actor, action="query_log_imported")


def list_imports(store: Store, agency_id: str) -> list[QueryLogImport]:
    return sorted(store.all(QueryLogImport, agency=agency_id), key=lambda r: r.imported_at)
