"""What one process knows of a data folder: the log replayed onto the table checkpoints.

The view holds the log position it reflects (:attr:`FolderView.end`), the
lines after the manifest's checkpoint (:attr:`FolderView.tail`, parsed and
verified) and the collections loaded so far.  Reading never trusts a table
file alone: a collection is loaded from its files, each checked against
``checkpoint.json`` and its own checksum, then the tail is replayed onto it.
Before answering, :meth:`FolderView.catch_up` reads the lines other processes
acknowledged since (up to the head, which moves only after a line is
durable), verifies that they chain on, and applies them — so a read never
returns what the disk no longer holds, and never sees a line whose append failed.

:meth:`FolderView.checkpoint` writes the tables the tail changed, then the
manifest; a damaged table is rebuilt from the log by :mod:`tracker.storage.rebuild`.
"""

from __future__ import annotations

from collections.abc import Callable

from tracker.activitylog.chain import check_line
from tracker.activitylog.log import ActivityLog, refusal
from tracker.core.fileio import atomic_write, fsync_dir, fsync_file
from tracker.storage.checkpoint import (
    START,
    Damaged,
    Manifest,
    Position,
    encode_table,
    read_manifest,
    read_table,
    table_path,
    write_manifest,
)
from tracker.storage.registry import COLLECTIONS, Collection
from tracker.storage.secrets import Secrets
from tracker.storage.tables import Records, touched

Repair = Callable[[Collection, Records, list[tuple[str, str]]], None]


class FolderView:
    """The records of a folder as of :attr:`end`, replayed from the log onto checkpoints."""

    def __init__(self, root, log: ActivityLog, secrets: Secrets, repair: Repair):
        self.root = root
        self.log = log
        self.secrets = secrets
        self.repair = repair
        self.manifest = Manifest(START, {})
        self.end = START
        self.tail: list[dict] = []
        self.tail_bytes = 0
        self.colls: dict[str, Records] = {}
        self.seen: tuple[int, int] = (0, 0)
        self.inode = 0  # the log file the view was read from (a purge or restore replaces it)

    # --- opening -------------------------------------------------------------

    def open(self, end: Position) -> None:
        """Start from the manifest and replay the log up to ``end`` (the checked head).

        Raises IntegrityError when the log does not reach or hold the
        manifest's position, or a line after it does not chain.
        """
        try:
            manifest = read_manifest(self.root)
        except Damaged as exc:
            raise refusal(
                f"檢查點清單 checkpoint.json 無法讀取（{exc.reason}）", exc.reason
            ) from None
        self.manifest = manifest or Manifest(START, {})
        self.colls.clear()
        self._hold(self.manifest.position, end)
        self.end, self.tail, self.tail_bytes = self.manifest.position, [], 0
        self._read_lines(end)
        self.seen = self.log.identity()
        self.inode = self.seen[0]

    def _hold(self, position: Position, end: Position) -> None:
        if position.offset > end.offset or position.seq > end.seq:
            raise refusal(
                f"操作日誌比檢查點記錄的短（檢查點在第 {position.count} 行），最後幾行可能被刪除",
                f"the log is shorter than the checkpoint (line {position.count}): lines were removed",
            )
        if position.count == 0:
            return
        entry, problem = self.log.line_at(position.offset)
        if problem or entry["seq"] != position.seq or entry["hash"] != position.hash:
            raise refusal(
                f"操作日誌第 {position.count} 行與檢查點不符",
                f"line {position.count} differs from the checkpoint",
            )

    # --- catching up ---------------------------------------------------------

    def catch_up(self) -> None:
        """Apply what other processes acknowledged since :attr:`end` (no lock needed).

        Raises IntegrityError when the head cannot be read or the new lines do
        not chain; the caller re-opens when the log file was replaced.
        """
        identity = self.log.identity()
        if identity == self.seen:
            return
        head = self.log.head()
        if head.size is None or head.size < self.end.offset or head.seq < self.end.seq:
            raise refusal(
                "操作日誌比本程序已讀取的短", "the log is shorter than this process has read"
            )
        if head.size > self.end.offset:
            self._read_lines(Position.of(head))
        self.seen = identity if head.size == identity[1] else (0, 0)
        self.inode = self.inode or identity[0]

    def replaced(self) -> bool:
        """Whether the log file is another one than :attr:`end` was read from (a purge, a restore)."""
        return bool(self.inode) and self.log.identity()[0] != self.inode

    def _read_lines(self, end: Position) -> None:
        data = self.log.read(self.end.offset, end.offset)
        prev, seq, count = self.end.hash, self.end.seq, self.end.count
        offset = self.end.offset
        for raw in data.splitlines(keepends=True):
            entry, problem = check_line(raw, prev, seq + 1 if count else None, count + 1)
            if problem:
                raise refusal(
                    f"操作日誌第 {count + 1} 行無法驗證：{problem[0]}",
                    f"activity-log line {count + 1} does not verify: {problem[1]}",
                )
            prev, seq, count, offset = entry["hash"], entry["seq"], count + 1, offset + len(raw)
            self._take(entry, len(raw))
            self.end = Position(offset, seq, prev, count)

    def _take(self, entry: dict, size: int) -> None:
        self.tail.append(entry)
        self.tail_bytes += size
        coll = COLLECTIONS.get(entry.get("collection") or "")
        records = self.colls.get(coll.name) if coll else None
        if records is not None:
            self._replay(records, entry)

    def _replay(self, records: Records, entry: dict) -> None:
        coll = records.coll
        after, _missing = self.secrets.resolve(coll, entry["record"], entry.get("after"))
        before = entry.get("before")
        part = coll.doc_partition(before) if isinstance(before, dict) else None
        records.apply(entry["seq"], entry["record"], after, before=part)

    # --- this process's own writes -------------------------------------------

    def committed(self, lines: list[dict], end: Position, size: int, changes: list) -> None:
        """Take lines this process appended: ``changes`` holds ``(coll, id, doc, record)`` per line."""
        for line, (coll, record_id, doc, record) in zip(lines, changes, strict=True):
            self.tail.append(line)
            if coll is not None:
                before = self.colls[coll.name].index.get(record_id)
                self.colls[coll.name].apply(
                    line["seq"], record_id, doc, before=before, record=record
                )
        self.tail_bytes += size
        self.end = end
        if self.root is not None:
            self.seen = self.log.identity()
            self.inode = self.inode or self.seen[0]  # the first line created the file

    # --- collections ---------------------------------------------------------

    def records(self, coll: Collection) -> Records:
        """The collection's records as of :attr:`end`, loaded and checked on first use."""
        records = self.colls.get(coll.name)
        if records is None:
            records = self._load(coll)
            self.colls[coll.name] = records
        return records

    def _load(self, coll: Collection) -> Records:
        records, damaged = Records(coll), []
        prefix = coll.name + "/"
        listed = {k[len(prefix) :] for k in self.manifest.tables if k.startswith(prefix)}
        folder = self.root / "tables" / coll.name if self.root is not None else None
        on_disk = {p.stem for p in folder.glob("*.json")} if folder and folder.is_dir() else set()
        for part in sorted(listed | on_disk):
            try:
                records.add_file(part, self._checked_table(coll, part))
            except Damaged as exc:
                damaged.append((part, exc.reason))
        for entry in self.tail:
            if entry.get("collection") == coll.name:
                self._replay(records, entry)
        if damaged:
            self.repair(coll, records, damaged)
        return records

    def _checked_table(self, coll: Collection, part: str):
        key = f"{coll.name}/{part}"
        table = read_table(table_path(self.root, coll.name, part), coll.name)
        if self.manifest.tables.get(key) == table.listing():
            return table
        fresh = read_manifest(self.root)  # another process may have written a checkpoint since
        if fresh is not None and fresh.tables.get(key) == table.listing():
            self.manifest.tables[key] = table.listing()
            return table
        if key in self.manifest.tables or (fresh is not None and key in fresh.tables):
            raise Damaged("differs from checkpoint.json (edited or replaced)")
        raise Damaged("not listed in checkpoint.json")

    # --- checkpoints ---------------------------------------------------------

    def checkpoint(self, *, durable: bool = True) -> bool:
        """Write every table the tail changed, then the manifest at :attr:`end`; the caller holds the lock.

        Returns False (nothing written) when the tail changes a collection this
        process does not know: its tables would be left behind.
        """
        changed: dict[str, set[str]] = {}
        for entry in self.tail:
            name = entry.get("collection")
            if name is None:
                continue
            coll = COLLECTIONS.get(name)
            if coll is None:
                return False
            changed.setdefault(name, set()).update(touched(coll, entry))
        for name, parts in changed.items():
            coll = COLLECTIONS[name]
            self.write_tables(self.records(coll), parts, durable=durable)
        self.manifest.position = self.end
        write_manifest(self.root, self.manifest, durable=durable)
        self.tail, self.tail_bytes = [], 0
        return True

    def write_tables(self, records: Records, parts: set[str], *, durable: bool = True) -> None:
        """Write the named partitions of ``records`` as table files at :attr:`end`.

        The manifest in memory lists them; writing it is the caller's next step.
        """
        coll = records.coll
        for part_name in sorted(parts):
            part = records.parts.get(part_name)
            docs = part.docs if part is not None else {}
            data, table = encode_table(coll.name, docs, self.end.seq, self.end.hash)
            atomic_write(table_path(self.root, coll.name, part_name), data, durable=False)
            if part is not None:
                part.seq, part.hash = self.end.seq, self.end.hash
            self.manifest.tables[f"{coll.name}/{part_name}"] = table.listing()
        if durable and parts:
            folder = self.root / "tables" / coll.name
            for part_name in parts:
                fsync_file(table_path(self.root, coll.name, part_name))
            fsync_dir(folder)
            fsync_dir(folder.parent)

    def due(self, lines: int, size: int) -> bool:
        """Whether the tail is long enough to be worth a checkpoint."""
        return len(self.tail) >= lines or self.tail_bytes >= size

    def adopt_newer_checkpoint(self) -> None:
        """Drop tail lines another process's checkpoint already covers (a reader's tail stays short)."""
        fresh = read_manifest(self.root)
        if fresh is None or not (self.manifest.position.seq < fresh.position.seq <= self.end.seq):
            return
        kept = [e for e in self.tail if e["seq"] > fresh.position.seq]
        self.tail_bytes = self.tail_bytes * len(kept) // max(len(self.tail), 1)
        self.tail, self.manifest = kept, fresh
