"""``store check`` (資料一致性檢查): every table, evidence file and query-log import against the log.

Under the store's lock, so nothing changes meanwhile: the whole log is
verified, every table is rebuilt from it (:func:`tracker.storage.rebuild.replay`)
and compared record by record with what the table files plus the log's tail
hold; every file a record refers to must exist with its SHA-256, every stored
file must be referred to; every query-log import must be one manifest entry,
one Parquet file and one record.  Each difference is named; nothing is changed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from tracker.core.errors import IntegrityError
from tracker.core.fileio import is_temporary
from tracker.storage.checkpoint import Damaged, read_manifest, read_table, table_path
from tracker.storage.rebuild import replay
from tracker.storage.registry import COLLECTIONS, Collection
from tracker.storage.staging import pending_folder
from tracker.storage.tables import Records


@dataclass(frozen=True)
class Difference:
    """One thing that does not match the log: where, and what (zh-TW and English)."""

    where: str
    zh: str
    en: str

    def line(self) -> str:
        return f"{self.where}: {self.zh} ({self.en})"


@dataclass
class CheckResult:
    differences: list[Difference] = field(default_factory=list)
    tables: int = 0
    records: int = 0
    files: int = 0
    log_lines: int = 0

    @property
    def ok(self) -> bool:
        return not self.differences

    def add(self, where: str, zh: str, en: str) -> None:
        self.differences.append(Difference(where, zh, en))


def check_store(store, blobs=None, logs=None) -> CheckResult:
    """Compare the folder with its log; ``blobs``/``logs``: the evidence and query-log stores to include."""
    result = CheckResult()
    with store.locked():
        verified = store.log.verify()
        result.log_lines = verified.lines
        if not verified.ok:
            result.add(
                "activity-log.jsonl",
                f"第 {verified.line} 行：{verified.problem_zh}",
                f"line {verified.line}: {verified.problem_en}",
            )
            return result
        try:
            expected, missing = replay(
                store.root, store.log, store.secrets, list(COLLECTIONS.values()), store.view.end
            )
        except IntegrityError as exc:
            result.add("activity-log.jsonl", exc.message_zh, exc.message_en)
            return result
        for name in missing:
            result.add(
                "secrets.jsonl", f"{name} 無法由日誌還原", f"{name} cannot be restored from the log"
            )
        for coll in COLLECTIONS.values():
            _compare(store, coll, expected[coll.name], result)
        if blobs is not None:
            _check_files(expected, blobs, result)
        if logs is not None:
            _check_imports(expected, logs, result)
        _check_leftovers(store, result)
    return result


def _compare(store, coll: Collection, expected: Records, result: CheckResult) -> None:
    held = _as_read(store, coll, result)
    for record_id in sorted(set(expected.index) | set(held.index)):
        want, have = expected.doc(record_id), held.doc(record_id)
        where = f"tables/{coll.name}/{held.index.get(record_id) or expected.index[record_id]}.json"
        if have is None:
            result.add(
                where,
                f"缺少紀錄 {record_id}（日誌中有）",
                f"record {record_id} is in the log but not in the table",
            )
        elif want is None:
            result.add(
                where,
                f"多出紀錄 {record_id}（日誌中沒有）",
                f"record {record_id} is in the table but not in the log",
            )
        elif want != have:
            fields = sorted(k for k in want.keys() | have.keys() if want.get(k) != have.get(k))
            shown = ", ".join(f"{k}: {have.get(k)!r} ≠ {want.get(k)!r}" for k in fields)[:300]
            result.add(
                where,
                f"紀錄 {record_id} 與日誌不符（{shown}）",
                f"record {record_id} differs from the log ({shown})",
            )
    result.records += len(expected.index)


def _as_read(store, coll: Collection, result: CheckResult) -> Records:
    """The collection as its table files and the log's tail hold it, each damaged file named."""
    root, records = store.root, Records(coll)
    try:
        listed = (read_manifest(root) or store.view.manifest).tables
    except Damaged as exc:
        result.add("checkpoint.json", "無法讀取", exc.reason)
        listed = {}
    folder = root / "tables" / coll.name
    parts = {k.split("/", 1)[1] for k in listed if k.startswith(coll.name + "/")}
    parts |= {p.stem for p in folder.glob("*.json")} if folder.is_dir() else set()
    for part in sorted(parts):
        where = f"tables/{coll.name}/{part}.json"
        try:
            table = read_table(table_path(root, coll.name, part), coll.name)
        except Damaged as exc:
            result.add(where, "資料表檔無法使用", exc.reason)
            continue
        result.tables += 1
        if listed.get(f"{coll.name}/{part}") != table.listing():
            result.add(
                where, "與 checkpoint.json 所列不符", "differs from what checkpoint.json lists"
            )
        records.add_file(part, table)
    for entry in store.view.tail:
        if entry.get("collection") == coll.name:
            after, _ = store.secrets.resolve(coll, entry["record"], entry.get("after"))
            before = entry.get("before")
            part = coll.doc_partition(before) if isinstance(before, dict) else None
            records.apply(entry["seq"], entry["record"], after, before=part)
    return records


def _check_files(expected: dict, blobs, result: CheckResult) -> None:
    referred = {}
    for name in ("evidence", "query_log_imports"):
        for record_id, part in expected[name].index.items():
            doc = expected[name].parts[part].docs[record_id]
            referred.setdefault(doc.get("sha256"), f"{name}/{record_id}")
    stored = set(blobs.all())
    for sha, owner in sorted(referred.items()):
        where = f"evidence/{sha[:2]}/{sha}"
        if sha not in stored:
            result.add(where, f"檔案遺失（{owner} 所指）", f"file missing (referred to by {owner})")
        elif _sha256(blobs.path(sha)) != sha:
            result.add(where, "檔案內容與雜湊不符", "content does not match its SHA-256")
    for sha in sorted(stored - referred.keys()):
        result.add(
            f"evidence/{sha[:2]}/{sha}",
            "孤立檔案（沒有紀錄指向）",
            "orphan file: no record refers to it",
        )
    result.files = len(stored)


def _check_imports(expected: dict, logs, result: CheckResult) -> None:
    records = expected["query_log_imports"]
    by_agency: dict[str, set[str]] = {}
    for record_id, part in records.index.items():
        doc = records.parts[part].docs[record_id]
        by_agency.setdefault(doc["agency_id"], set()).add(doc["sha256"])
    folders = {p.name for p in Path(logs.root).glob("*") if p.is_dir()}
    for agency in sorted(folders | by_agency.keys()):
        where = f"query-logs/{agency}"
        listed = {r.sha256 for r in logs.imports(agency)} if agency in folders else set()
        kept = by_agency.get(agency, set())
        on_disk = {p.stem for p in (Path(logs.root) / agency).glob("*.parquet")}
        for found, zh, en in (
            (
                listed - kept,
                "列於清單但沒有紀錄（未完成的匯入）",
                "is listed but has no record (a half import)",
            ),
            (kept - listed, "有紀錄但未列於清單", "has a record but is not listed"),
            (listed - on_disk, "的 Parquet 檔遺失", "has lost its Parquet file"),
            (
                on_disk - listed,
                "的 Parquet 檔未列於清單（孤立檔案）",
                "has a Parquet file not listed (orphan)",
            ),
        ):
            for sha in sorted(found):
                result.add(where, f"匯入 {sha[:12]} {zh}", f"import {sha[:12]} {en}")


def _check_leftovers(store, result: CheckResult) -> None:
    for path in sorted(pending_folder(store).glob("*.json")):
        result.add(f"pending/{path.name}", "未完成的交易", "an unfinished transaction")
    for path in sorted(store.root.rglob(".*.tmp")):
        if is_temporary(path.name):
            result.add(
                str(path.relative_to(store.root)),
                "中斷寫入留下的暫存檔",
                "temporary file of an interrupted write",
            )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
