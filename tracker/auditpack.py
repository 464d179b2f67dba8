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

Which records are "of the period":

* evidence — uploaded on or before the last day and still current on or after
  the first day (current as :func:`tracker.retention.currency_end` reads it:
  until rejected, superseded or expired), which includes everything uploaded or
  decided within the period;
* audit records — evidence of kind ``audit_record`` whose audit covers days of
  the period or was closed within it (by upload day when the audit is unknown);
* activity log — every line written on a day of the period.  The extract is
  not narrowed to the agency or vendor: leaving lines out would break the chain
  an inspector is meant to check.

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

import orjson

from tracker import __version__, clock
from tracker.activity import GENESIS, entry_instant, is_anchor
from tracker.blobs import BlobStore
from tracker.domain import Evidence, SelfAudit
from tracker.errors import InvalidInput, NotFound, StoreError
from tracker.retention import currency_end, successors

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
class Period:
    """Both days included."""

    start: date
    end: date

    def __post_init__(self):
        if self.start > self.end:
            raise InvalidInput(
                "期間起日晚於迄日", f"the period starts ({self.start}) after it ends ({self.end})"
            )

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


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
) -> bytes:
    """The package's ZIP bytes for ``period`` (a :class:`Period` or ``(start, end)``), optionally one scope."""
    return _build(store, blobs, _period(period), agency_id, vendor_id, now or clock.now())[0]


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
    from tracker.fileio import atomic_write

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


# --- choosing records ----------------------------------------------------------


def select_evidence(store, period: Period, today: date, agency_id=None, vendor_id=None):
    """(evidence, audit records) of the period and scope, each sorted by upload time."""
    records = [
        e
        for e in store.all(Evidence)
        if (agency_id is None or e.agency_id == agency_id)
        and (vendor_id is None or e.vendor_id == vendor_id)
    ]
    audits = {a.id: a for a in store.all(SelfAudit)}
    newer = successors(store.all(Evidence))
    evidence, audit_records = [], []
    for ev in records:
        if ev.kind == "audit_record":
            if _audit_in_period(ev, audits.get(ev.subject_id), period):
                audit_records.append(ev)
        elif _current_during(ev, newer.get(ev.id), period, today):
            evidence.append(ev)
    key = lambda e: (e.uploaded_at, e.id)  # noqa: E731
    return sorted(evidence, key=key), sorted(audit_records, key=key)


def _current_during(ev: Evidence, newer: Evidence | None, period: Period, today: date) -> bool:
    if clock.local_date(ev.uploaded_at) > period.end:
        return False
    ended = currency_end(ev, newer, today)
    return ended is None or ended >= period.start


def _audit_in_period(ev: Evidence, audit: SelfAudit | None, period: Period) -> bool:
    if audit is None:
        return period.covers(clock.local_date(ev.uploaded_at))
    last = audit.period_end
    overlaps = audit.period_start <= period.end and last >= period.start
    return overlaps or (audit.closed_on is not None and period.covers(audit.closed_on))


def log_extract(store, period: Period) -> tuple[list[bytes], str]:
    """The raw log lines written on the period's days, and the text of ``chain.txt``."""
    lines: list[bytes] = []
    before_hash, before_seq, instant = GENESIS, 0, None
    raw_lines = (
        store.log.raw_lines()
        if not store.memory
        else (orjson.dumps(e) + b"\n" for e in store.log.entries())
    )
    for raw in raw_lines:
        entry = orjson.loads(raw)
        instant = None if is_anchor(entry) else (entry_instant(entry) or instant)
        day = clock.local_date(instant) if instant else None
        if day is None or day < period.start:
            if not lines:
                before_hash, before_seq = entry["hash"], entry["seq"]
            continue
        if day > period.end:
            break
        lines.append(raw if raw.endswith(b"\n") else raw + b"\n")
    head = store.log.head()
    return lines, _chain_text(period, lines, before_seq, before_hash, head)


def _chain_text(period: Period, lines: list[bytes], before_seq: int, before_hash: str, head) -> str:
    first = orjson.loads(lines[0]) if lines else None
    last = orjson.loads(lines[-1]) if lines else None
    return "\n".join(
        [
            "# 操作日誌節錄之雜湊鏈 / hash chain of the activity-log extract",
            f"period: {period.start.isoformat()}..{period.end.isoformat()}",
            f"lines: {len(lines)}",
            f"first_seq: {first['seq'] if first else ''}",
            f"last_seq: {last['seq'] if last else ''}",
            f"seq_before_first_line: {before_seq}",
            f"hash_before_first_line: {before_hash}",
            f"last_hash: {last['hash'] if last else before_hash}",
            f"log_head_at_packaging: count={head.count} seq={head.seq} hash={head.hash}",
            "",
        ]
    )


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


def readme(period: Period, agency_id, vendor_id, meta: dict) -> str:
    scope_zh = (
        f"機關 {agency_id}" if agency_id else f"廠商 {vendor_id}" if vendor_id else "全部機關與廠商"
    )
    scope_en = (
        f"agency {agency_id}"
        if agency_id
        else f"vendor {vendor_id}"
        if vendor_id
        else "all agencies and vendors"
    )
    return README_TEMPLATE.format(
        start=period.start.isoformat(),
        end=period.end.isoformat(),
        scope_zh=scope_zh,
        scope_en=scope_en,
        created=meta["created"],
        evidence=meta["evidence"],
        audit_records=meta["audit_records"],
        log_lines=meta["log_lines"],
        problems=meta["file_problems"],
    ).replace("\n", "\r\n")


README_TEMPLATE = """\
稽核資料包（臺北市政府社會局暨所屬機關應用移民資訊管理要點）
================================================================

期間：{start} 至 {end}（含首尾兩日）
範圍：{scope_zh}
製作時間：{created}
內容：佐證資料 {evidence} 件、抽查紀錄 {audit_records} 件、操作日誌 {log_lines} 行；
      無法取得的檔案 {problems} 件（見 decisions.csv 的 file_problem 欄）。

一、如何驗證（不需要本系統）
1. 解壓縮整個資料包，於解壓後的資料夾中執行：
       sha256sum -c SHA256SUMS
   每一行都應顯示「OK」（英文介面為 OK）。任何一個位元被更動，該檔即顯示 FAILED。
   Windows 可用 PowerShell：Get-FileHash -Algorithm SHA256 檔名，與 SHA256SUMS 對照。
2. 操作日誌的雜湊鏈（選用，需 Python 3）：
       python3 activity-log/verify_chain.py
   每一行的 hash 是該行其餘欄位（鍵排序、無空白的 JSON）之 SHA-256，prev_hash 為前一行之 hash。
   第一行的 prev_hash 必須等於 activity-log/chain.txt 的 hash_before_first_line，
   最後一行的 hash 必須等於 last_hash。
3. decisions.csv 的 sha256 欄為各佐證檔案內容的 SHA-256，可用 sha256sum 對照檔案本身。

二、各檔案說明
- README.txt：本說明。
- SHA256SUMS：除本檔外每個檔案的 SHA-256（sha256sum -c 格式）。
- package.json：期間、範圍、製作時間與件數（機器可讀）。
- decisions.csv：每件佐證一列（UTF-8 含 BOM，可直接以 Excel 開啟）。欄位：
  evidence_id 佐證編號、subject 適用對象（種類:代碼）、obligation 應辦事項（要點項次）、
  kind 佐證種類、file_name 上傳時的原始檔名、sha256 檔案雜湊、uploaded_at 上傳時間、
  effective 文件日期、state 審查狀態（submitted 待審查／approved 通過／rejected 退件／
  superseded 已被取代）、reviewer 審查人、reviewed_at 審查時間、reason 退件理由、
  package_file 本資料包內的檔名、file_problem 檔案問題（missing 遺失、sha256_mismatch 內容不符）。
  日期時間皆為 ISO 8601（含 +08:00 時區）。以 = + - @ 開頭的文字前加上 ' 以免被試算表當成公式。
- evidence/：範圍內、期間中有效或於期間中上傳／審查之佐證檔案，檔名為佐證編號。
- audit-records/：期間內自主稽核的抽查紀錄（PDF 與 XLSX，要點第七點第二款，保存五年）。
- activity-log/extract.jsonl：期間內的操作日誌原文（要點第七點第一款），逐行未經更動；
  為維持雜湊鏈完整，未依機關或廠商篩選。
- activity-log/chain.txt：節錄前一行的雜湊、最後一行的雜湊與製作時的鏈頭。
- activity-log/verify_chain.py：只用 Python 標準函式庫的雜湊鏈檢查程式。

----------------------------------------------------------------
Auditor's package (Taipei City Department of Social Welfare, rules on using NIA information)

Period {start} to {end} (both days included); scope: {scope_en}; created {created}.
{evidence} evidence files, {audit_records} audit records, {log_lines} activity-log lines;
{problems} files could not be included (see the file_problem column of decisions.csv).

To verify without this software, unzip everything and run `sha256sum -c SHA256SUMS` in the
unzipped folder: every line must say OK, and a single changed byte makes that file FAILED.
`python3 activity-log/verify_chain.py` checks the activity log's hash chain: each line's
hash is the SHA-256 of its other fields as JSON with sorted keys and no spaces, prev_hash is
the hash of the line before, the first line chains onto hash_before_first_line in
activity-log/chain.txt and the last ends at last_hash.  decisions.csv (UTF-8 with BOM) lists
every evidence file with its review decision and the uploader's original file name; dates are
ISO 8601.  evidence/ and audit-records/ hold the files as stored, named by evidence id.
"""


VERIFY_CHAIN_SCRIPT = '''\
#!/usr/bin/env python3
"""Check the hash chain of extract.jsonl against chain.txt, with the standard library only.

Usage: python3 verify_chain.py [extract.jsonl] [chain.txt]   (default: beside this script)
Each line's "hash" is the SHA-256 of the line's other fields as canonical JSON
(keys sorted, no spaces, UTF-8, numbers as the application writes them) and
"prev_hash" the hash of the line before.  Exit 0 when the chain holds.
"""
import hashlib
import json
import sys
from pathlib import Path


def number(value):
    text = repr(value)
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    if int(exponent) == -5:  # the application writes 1e-05 .. 1e-04 in plain notation
        sign = "-" if mantissa.startswith("-") else ""
        return sign + "0.0000" + mantissa.lstrip("-").replace(".", "")
    return mantissa + "e" + str(int(exponent))


def canonical(value):
    if isinstance(value, dict):
        items = sorted(value.items())
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + canonical(v) for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, float):
        return number(value)
    return json.dumps(value, ensure_ascii=False)


def main(argv):
    here = Path(__file__).resolve().parent
    extract = Path(argv[1]) if len(argv) > 1 else here / "extract.jsonl"
    chain = Path(argv[2]) if len(argv) > 2 else here / "chain.txt"
    fields = dict(line.split(": ", 1) for line in chain.read_text("utf-8").splitlines() if ": " in line)
    prev = fields["hash_before_first_line"].strip()
    count = 0
    for count, raw in enumerate(extract.read_bytes().splitlines(), start=1):
        entry = json.loads(raw)
        body = {k: v for k, v in entry.items() if k != "hash"}
        digest = hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()
        if digest != entry.get("hash"):
            print(f"line {count}: content does not match its hash / 內容與雜湊不符")
            return 1
        if entry.get("prev_hash") != prev:
            print(f"line {count}: prev_hash does not match / 前一筆雜湊不符")
            return 1
        prev = entry["hash"]
    if prev != fields["last_hash"].strip():
        print("the last line does not end at last_hash / 最後一行與 last_hash 不符")
        return 1
    print(f"OK: {count} lines chained / 雜湊鏈完整")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
'''
