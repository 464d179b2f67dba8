"""The auditor's package (稽核資料包): one ZIP an inspector can check without this software.

:func:`build_package` returns the ZIP's bytes (the web app offers them as a
download); :func:`write_package` writes them to a file.  For a period (both
days included) and optionally one agency or one vendor, the package holds::

    README.txt                     how to verify it and what each file is (zh-TW, then English)
    SHA256SUMS                     ``sha256sum -c`` manifest of every other file
    package.json                   period, scope, creation time, counts
    decisions.csv                  one row per evidence file with its review decision (UTF-8 with BOM)
    evidence/<evidence id>.<ext>   the scope's evidence files, as stored
    audit-records/<evidence id>.<ext>  audit records (抽查紀錄, PDF and XLSX) of the period
    activity-log/extract.jsonl     the activity-log lines of the period, byte for byte
    activity-log/chain.txt         the hash before the first line, the last hash, the head
    activity-log/verify_chain.py   a standard-library Python script that checks the chain

Which records are "of the period" is decided in :mod:`tracker.ops.package_selection`;
the README and the chain checker's script are in :mod:`tracker.ops.package_texts`.

Names inside the ZIP are ours (evidence ids, ASCII); the uploader's file name
appears only in ``decisions.csv``.  Text cells that a spreadsheet would run as a
formula (starting with ``= + - @``) are prefixed with ``'``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from tracker import __version__
from tracker.core import clock
from tracker.core.errors import InvalidInput, NotFound, StoreError
from tracker.domain.evidence import Evidence
from tracker.ops.package_selection import Period, log_extract, select_evidence
from tracker.ops.package_texts import VERIFY_CHAIN_SCRIPT, readme
from tracker.storage.blobs import BlobStore

COLUMNS = (
    "evidence_id",
    "subject",
    "obligation",
    "kind",
    "file_name",
    "sha256",
    "uploaded_at",
    "effective",
    "state",
    "reviewer",
    "reviewed_at",
    "reason",
    "package_file",
    "file_problem",
)
_SAFE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")
_EXTENSIONS = {
    ".pdf",
    ".xlsx",
    ".xls",
    ".csv",
    ".docx",
    ".doc",
    ".odt",
    ".ods",
    ".png",
    ".jpg",
    ".jpeg",
    ".txt",
}
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class PackageSummary:
    path: Path | None
    evidence: int
    audit_records: int
    log_lines: int
    file_problems: int
    bytes: int


def build_package(
    store,
    blobs: BlobStore,
    period: Period | tuple[date, date],
    agency_id: str | None = None,
    vendor_id: str | None = None,
    *,
    now: datetime | None = None,
    with_summary: bool = False,
):
    """The package's ZIP bytes for ``period`` (a :class:`Period` or ``(start, end)``), optionally one scope.

    With ``with_summary``, ``(bytes, PackageSummary)`` (the summary's ``path`` is ``None``).
    """
    data, summary = _build(store, blobs, _period(period), agency_id, vendor_id, now or clock.now())
    if with_summary:
        return data, PackageSummary(None, *summary[1:5], len(data))
    return data


def write_package(
    path: Path,
    store,
    blobs: BlobStore,
    period,
    agency_id: str | None = None,
    vendor_id: str | None = None,
    *,
    now: datetime | None = None,
) -> PackageSummary:
    """Write the package to ``path`` (refused if it exists) and say what went in."""
    from tracker.core.fileio import atomic_write

    path = Path(path)
    if path.exists():
        raise InvalidInput(f"檔案已存在：{path}", f"{path} already exists; choose a new name")
    data, summary = _build(store, blobs, _period(period), agency_id, vendor_id, now or clock.now())
    atomic_write(path, data)
    return PackageSummary(path, *summary[1:5], len(data))


def _period(period) -> Period:
    return period if isinstance(period, Period) else Period(*period)


def _build(
    store, blobs, period: Period, agency_id, vendor_id, now: datetime
) -> tuple[bytes, tuple]:
    for value in (agency_id, vendor_id):
        if value is not None and not _SAFE_ID.match(value):
            raise InvalidInput(f"代碼格式錯誤：{value!r}", f"malformed id {value!r}")
    today = clock.local_date(now)
    with store.locked():  # one consistent view of the records and the log
        evidence, audit_records = select_evidence(store, period, today, agency_id, vendor_id)
        extract, chain = log_extract(store, period)
    files: dict[str, bytes] = {}
    rows, problems = [], 0
    for folder, records in (("evidence", evidence), ("audit-records", audit_records)):
        for ev in records:
            name, data, problem = _evidence_file(blobs, folder, ev)
            if data is not None:
                files[name] = data
            problems += bool(problem)
            rows.append(_row(ev, name if data is not None else "", problem))
    files["decisions.csv"] = _csv(rows)
    files["activity-log/extract.jsonl"] = b"".join(extract)
    files["activity-log/chain.txt"] = chain.encode("utf-8")
    files["activity-log/verify_chain.py"] = VERIFY_CHAIN_SCRIPT.encode("utf-8")
    meta = {
        "period": [period.start.isoformat(), period.end.isoformat()],
        "agency_id": agency_id,
        "vendor_id": vendor_id,
        "created": now.isoformat(timespec="seconds"),
        "app_version": __version__,
        "evidence": len(evidence),
        "audit_records": len(audit_records),
        "log_lines": len(extract),
        "file_problems": problems,
    }
    files["package.json"] = json.dumps(meta, ensure_ascii=False, indent=1).encode("utf-8")
    files["README.txt"] = readme(period, agency_id, vendor_id, meta).encode("utf-8")
    files["SHA256SUMS"] = sha256sums(files)
    return _zip(files, now), (None, len(evidence), len(audit_records), len(extract), problems)


# --- files ---------------------------------------------------------------------


def _evidence_file(blobs: BlobStore, folder: str, ev: Evidence) -> tuple[str, bytes | None, str]:
    """(name in the package, bytes or ``None``, problem) for one evidence record."""
    if not _SAFE_ID.match(ev.id):
        raise StoreError("佐證編號格式不正確", f"evidence id {ev.id!r} is not safe as a file name")
    try:
        data = blobs.read(ev.sha256)
    except NotFound:
        return f"{folder}/{ev.id}", None, "missing"
    except StoreError:
        return f"{folder}/{ev.id}", None, "sha256_mismatch"
    return f"{folder}/{ev.id}{_extension(ev.filename, data)}", data, ""


def _extension(filename: str, data: bytes) -> str:
    """A short, safe extension: the original one when known, else from the file's first bytes."""
    suffix = Path(filename or "").suffix.lower()
    if suffix in _EXTENSIONS:
        return suffix
    if data.startswith(b"%PDF"):
        return ".pdf"
    if data.startswith(b"PK\x03\x04"):
        return ".zip"
    return ".bin"


def _row(ev: Evidence, package_file: str, problem: str) -> list[str]:
    def when(value):
        return (
            value.isoformat(timespec="seconds")
            if isinstance(value, datetime)
            else (value.isoformat() if value else "")
        )

    return [
        ev.id,
        _cell(f"{ev.subject_kind.value}:{ev.subject_id}"),
        ev.obligation_id,
        ev.kind,
        _cell(ev.filename),
        ev.sha256,
        when(ev.uploaded_at),
        when(ev.effective),
        ev.state.value,
        _cell(ev.reviewed_by or ""),
        when(ev.reviewed_at),
        _cell(ev.review_reason),
        package_file,
        problem,
    ]


def _cell(text: str) -> str:
    """Keep a spreadsheet from reading the cell as a formula (OWASP CSV injection)."""
    return "'" + text if text.startswith(_FORMULA) else text


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def sha256sums(files: dict[str, bytes]) -> bytes:
    """``sha256sum`` output for ``files`` (hash, two spaces, name), sorted by name."""
    lines = [
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items())
    ]
    return "".join(lines).encode("ascii")


def _zip(files: dict[str, bytes], now: datetime) -> bytes:
    buffer = io.BytesIO()
    stamp = now.astimezone(clock.TAIPEI).timetuple()[:6]
    order = [
        "README.txt",
        "SHA256SUMS",
        *sorted(n for n in files if n not in ("README.txt", "SHA256SUMS")),
    ]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.external_attr = 0o100644 << 16
            info.create_system = 3
            stored = name.startswith(("evidence/", "audit-records/"))
            zf.writestr(
                info,
                files[name],
                compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED,
            )
    return buffer.getvalue()
