"""Imported query-log rows, kept as Parquet for at least five years (points 7.1, 7.2).

Layout under ``root`` (normally ``<data dir>/query-logs``)::

    .lock                          filelock around every write (:meth:`LogStore.locked`)
    <agency_id>/manifest.json      the imports of that agency (the commit point)
    <agency_id>/<sha256>.parquet   the rows of one import, zstd-compressed

An import is written to a temporary file, fsynced and renamed into place
(:meth:`LogStore.stage`), and only then listed in the manifest, itself replaced
atomically (:meth:`LogStore.publish`); a Parquet file the manifest does not
list is ignored by readers.  The application's import is one transaction with
the store's record and activity-log line (:class:`tracker.storage.staging.Transaction`):
the file is staged, the record committed, then the manifest entry published; a
crash in between is completed or undone when the store is next opened.

Times in the manifest are aware Asia/Taipei instants: ``imported_at`` and the
first and last ``queried_at`` of an import (row times are naive Taipei time in
the Parquet files, as exported).  Manifests written before this rule stored
naive row times; they are read as Taipei time.

Subject ids are stored as exported: the agency must be able to answer the NIA
about a record.  Everything this module hands out for display goes through
:func:`tracker.core.idnumbers.mask_id` in :mod:`tracker.querylog.sampling`.

Parquet rather than the TinyDB store: millions of rows per year, read back by
period with row-group statistics, columnar compression of very repetitive
columns (accounts, query types), and no rewrite of old data on each import.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import filelock
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tracker.core.clock import TAIPEI
from tracker.core.errors import InvalidInput, NotFound, StoreError
from tracker.core.fileio import atomic_write
from tracker.querylog.schema import SCHEMA, QueryLog

RETENTION_YEARS = 5  # point 7.1: 日誌紀錄保存年限至少五年
_AGENCY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class ImportRecord:
    """One stored import.  ``first_queried_at``/``last_queried_at`` are ``None`` for an empty export.

    All three times are aware Taipei instants: a naive one given here (a row
    time, a naive ``now``, an older manifest) is taken as Taipei time.
    """

    agency_id: str
    sha256: str
    rows: int
    first_queried_at: datetime | None
    last_queried_at: datetime | None
    imported_by: str
    imported_at: datetime
    format: str
    filename: str | None = None
    has_purpose: bool = True

    def __post_init__(self):
        for key in ("first_queried_at", "last_queried_at", "imported_at"):
            object.__setattr__(self, key, _taipei(getattr(self, key)))

    def to_json(self) -> dict:
        data = asdict(self)
        for key in ("first_queried_at", "last_queried_at", "imported_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data

    @classmethod
    def from_json(cls, data: dict) -> ImportRecord:
        data = dict(data)
        for key in ("first_queried_at", "last_queried_at", "imported_at"):
            data[key] = datetime.fromisoformat(data[key]) if data[key] else None
        return cls(**data)


def retention_cutoff(now: datetime) -> datetime:
    """The moment five years before ``now`` (naive stays naive): rows at or before it may be deleted."""
    return _shift_years(now, -RETENTION_YEARS)


def _taipei(moment: datetime | None) -> datetime | None:
    """``moment`` as an aware Taipei time; a naive one is read as Taipei time."""
    if moment is None:
        return None
    return moment.replace(tzinfo=TAIPEI) if moment.tzinfo is None else moment.astimezone(TAIPEI)


def _shift_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February in a common year
        return moment.replace(year=moment.year + years, day=28)


class LogStore:
    """Query-log imports of every agency under ``root``.  Safe across processes."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def import_log(
        self, log: QueryLog, agency_id: str, imported_by: str, now: datetime
    ) -> ImportRecord:
        """Store the rows of ``log`` for ``agency_id``; return what the manifest now lists.

        Raises InvalidInput when the same file bytes (same sha256) were already
        imported for the agency, or for a malformed agency id.  The application
        imports through :class:`tracker.storage.staging.Transaction` instead
        (:meth:`stage`, then :meth:`publish` once the store's record is committed).
        """
        with self.locked():
            imports = self._manifest(self._folder(agency_id))
            if log.sha256 in imports:
                raise already_imported(imports[log.sha256])
            record, _created = self.stage(log, agency_id, imported_by, now)
            self._publish(record)
        return record

    def stage(
        self, log: QueryLog, agency_id: str, imported_by: str, now: datetime
    ) -> tuple[ImportRecord, bool]:
        """Write the rows' Parquet file, not yet listed (readers do not see it); the caller holds :meth:`locked`.

        Returns the record :meth:`publish` will list and whether the file is new
        (an unlisted file of the same bytes, left by an interrupted import, is reused).
        """
        record, exists = self.prepare(log, agency_id, imported_by, now)
        if not exists:
            self.write_rows(log, agency_id)
        return record, not exists

    def prepare(
        self, log: QueryLog, agency_id: str, imported_by: str, now: datetime
    ) -> tuple[ImportRecord, bool]:
        """The record an import of ``log`` would list, and whether its Parquet file already exists.

        Writes nothing (a transaction records its intent between this and :meth:`write_rows`).
        """
        folder = self._folder(agency_id)
        if not log.sha256:
            raise InvalidInput(
                "只能匯入從檔案讀入的查詢紀錄", "only an export read from a file can be imported"
            )
        record = _record(log, agency_id, imported_by, now)
        return record, (folder / f"{log.sha256}.parquet").exists()

    def write_rows(self, log: QueryLog, agency_id: str) -> None:
        """Write the Parquet file of ``log``'s rows (atomically), unlisted; the caller holds :meth:`locked`."""
        folder = self._folder(agency_id)
        folder.mkdir(parents=True, exist_ok=True)
        _write_parquet(log.table.select(SCHEMA.names), folder / f"{log.sha256}.parquet")

    def publish(self, record: ImportRecord) -> None:
        """List a staged import in its agency's manifest (replacing an entry of the same bytes)."""
        with self.locked():
            self._publish(record)

    def _publish(self, record: ImportRecord) -> None:
        folder = self._folder(record.agency_id)
        imports = self._manifest(folder)
        imports[record.sha256] = record
        self._save_manifest(folder, imports)

    def unstage(self, agency_id: str, sha256: str) -> bool:
        """Remove a staged Parquet file the manifest does not list; returns whether one was removed."""
        folder = self._folder(agency_id)
        if not _SHA256.fullmatch(sha256 or "") or sha256 in self._manifest(folder):
            return False
        path = folder / f"{sha256}.parquet"
        existed = path.exists()
        path.unlink(missing_ok=True)
        return existed

    def listed(self, agency_id: str, sha256: str) -> bool:
        """Whether the agency's manifest lists the import of these bytes."""
        return sha256 in self._manifest(self._folder(agency_id))

    def imports(self, agency_id: str) -> list[ImportRecord]:
        """The agency's imports, oldest first."""
        records = self._manifest(self._folder(agency_id)).values()
        return sorted(records, key=lambda r: (r.imported_at, r.sha256))

    def rows(
        self, agency_id: str, date_from: date | None = None, date_to: date | None = None
    ) -> QueryLog:
        """Rows queried between the start of ``date_from`` and the end of ``date_to`` (``None``: open).

        The table has ``SCHEMA`` plus ``source_sha256`` (the import a row came
        from), sorted by time, import and line, so a seeded draw is repeatable.
        """
        folder, records = self._folder(agency_id), self.imports(agency_id)
        parts = [_read_period(folder, r.sha256, date_from, date_to) for r in records]
        table = pa.concat_tables(parts) if parts else _empty_with_source()
        keys = [("queried_at", "ascending"), ("source_sha256", "ascending"), ("line", "ascending")]
        table = table.take(pc.sort_indices(table, keys))
        columns = {"purpose": "purpose"} if any(r.has_purpose for r in records) else {}
        return QueryLog(table, None, "store", columns=columns)

    def delete_import(self, agency_id: str, sha256: str, now: datetime) -> ImportRecord:
        """Remove one import once all its rows are older than five years (point 7.1).

        Raises NotFound for an unknown import and InvalidInput while any row is
        younger than five years.  Returns the removed record (for the activity log).
        """
        folder = self._folder(agency_id)
        with self.locked():
            imports = self._manifest(folder)
            record = imports.get(sha256 if _SHA256.fullmatch(sha256 or "") else "")
            if record is None:
                raise NotFound(
                    f"找不到匯入紀錄 {sha256}", f"no import {sha256} for agency {agency_id}"
                )
            if not _expired(record, now):
                raise _too_young(record, now)
            del imports[sha256]
            self._save_manifest(folder, imports)  # unlisted first: a crash leaves an ignored file
            (folder / f"{sha256}.parquet").unlink(missing_ok=True)
        return record

    def expired_imports(self, now: datetime) -> list[ImportRecord]:
        """Imports of every agency whose rows are all older than five years (a retention report).

        ``now`` may be naive (read as Taipei time) or aware.
        """
        found = []
        for manifest in sorted(self.root.glob("*/manifest.json")):
            found += [r for r in self._manifest(manifest.parent).values() if _expired(r, now)]
        return found

    @contextlib.contextmanager
    def locked(self):
        """Hold the store-wide write lock (``<root>/.lock``) for the ``with`` block.

        Every write of this store takes it, so a reader holding it (a backup)
        sees no half-written import.  Not re-entrant: do not call a writing
        method inside.  Raises StoreError when another process holds it for a minute.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            with filelock.FileLock(self.root / ".lock", timeout=60):
                yield
        except filelock.Timeout:
            raise StoreError(
                "查詢紀錄庫忙碌中，請稍後再試",
                f"the query-log store {self.root} is locked by another writer",
            ) from None

    # --- files ---------------------------------------------------------------

    def _folder(self, agency_id: str) -> Path:
        if not isinstance(agency_id, str) or not _AGENCY_ID.fullmatch(agency_id):
            raise InvalidInput(
                f"機關代碼不正確：{agency_id!r}", f"malformed agency id {agency_id!r}"
            )
        return self.root / agency_id

    def _manifest(self, folder: Path) -> dict[str, ImportRecord]:
        path = folder / "manifest.json"
        try:
            entries = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
            return {e["sha256"]: ImportRecord.from_json(e) for e in entries}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StoreError(
                f"匯入清單無法讀取：{path}", f"cannot read manifest {path}: {exc}"
            ) from exc

    def _save_manifest(self, folder: Path, imports: dict[str, ImportRecord]) -> None:
        records = sorted(imports.values(), key=lambda r: (r.imported_at, r.sha256))
        text = json.dumps([r.to_json() for r in records], ensure_ascii=False, indent=1)
        atomic_write(folder / "manifest.json", text.encode("utf-8"))


def _record(log: QueryLog, agency_id: str, imported_by: str, now: datetime) -> ImportRecord:
    times = log.table["queried_at"]
    return ImportRecord(
        agency_id=agency_id,
        sha256=log.sha256,
        rows=log.population,
        first_queried_at=pc.min(times).as_py(),
        last_queried_at=pc.max(times).as_py(),
        imported_by=imported_by,
        imported_at=now,
        format=log.format,
        filename=log.filename,
        has_purpose=log.has_column("purpose"),
    )


def _write_parquet(table: pa.Table, path: Path) -> None:
    atomic_write(path, lambda f: pq.write_table(table, f, compression="zstd"))


def _read_period(
    folder: Path, sha256: str, date_from: date | None, date_to: date | None
) -> pa.Table:
    filters = []
    if date_from:
        filters.append(("queried_at", ">=", datetime.combine(date_from, datetime.min.time())))
    if date_to:
        end = datetime.combine(date_to + timedelta(days=1), datetime.min.time())
        filters.append(("queried_at", "<", end))
    table = pq.read_table(folder / f"{sha256}.parquet", filters=filters or None).cast(SCHEMA)
    return table.append_column("source_sha256", pa.array([sha256] * table.num_rows, pa.string()))


def _empty_with_source() -> pa.Table:
    return SCHEMA.empty_table().append_column("source_sha256", pa.array([], pa.string()))


def _expired(record: ImportRecord, now: datetime) -> bool:
    """Both sides aware Taipei times: an empty import (no row times) is judged by
    ``imported_at``, which would not compare with a naive cutoff."""
    newest = record.last_queried_at or record.imported_at
    return newest <= retention_cutoff(_taipei(now))


def already_imported(record) -> InvalidInput:
    """The refusal of a second import of the same file (``record``: the first import, any kind)."""
    when = record.imported_at.strftime("%Y-%m-%d %H:%M")
    return InvalidInput(
        f"此檔案已於 {when} 由 {record.imported_by} 匯入（{record.rows} 筆），不重複匯入",
        f"this file was already imported on {when} by {record.imported_by} ({record.rows} rows)",
    )


def _too_young(record: ImportRecord, now: datetime) -> InvalidInput:
    newest = record.last_queried_at or record.imported_at
    until = _shift_years(newest, RETENTION_YEARS)
    return InvalidInput(
        f"查詢紀錄須保存至少五年（要點 7.1）：最新一筆為 {newest:%Y-%m-%d %H:%M}，"
        f"{until:%Y-%m-%d %H:%M} 起才可刪除",
        f"query logs are kept at least five years (point 7.1): the newest row is of "
        f"{newest:%Y-%m-%d %H:%M}; deletable from {until:%Y-%m-%d %H:%M}",
    )
