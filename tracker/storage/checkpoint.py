"""Table files as checkpoints of the activity log: their format, the manifest and the base snapshot.

The activity log is the commit record; a table file only saves replaying it.
Each file ``tables/<collection>/<partition>.json`` is a TinyDB document (a
TinyDB can open it) with two tables: the records under the collection's name,
and ``_checkpoint`` holding the log line it reflects (``seq``, ``hash``) and
the SHA-256 of the records' bytes as written::

    {"evidence":{…records by id…},"_checkpoint":{"1":{"seq":812,"hash":"…","sha256":"…","records":40}}}

``checkpoint.json`` in the data folder lists every table with the same three
values and the log position every table reflects at least (byte ``offset``,
``seq``, ``hash``, line ``count``): opening replays only the lines after it,
a table the manifest lists but the folder lacks is missing (never empty), and
a table whose bytes or values differ from the manifest was damaged.

A retention purge first writes a *base snapshot* (:func:`write_base`): the
current tables hard-linked into ``base-<seq>/`` with a copy of the manifest,
named by ``base.json``; a rebuild starts from it when the log no longer
begins at line 1.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import orjson

from tracker.activitylog.chain import GENESIS, Head
from tracker.core.fileio import atomic_write, fsync_dir

MANIFEST_NAME = "checkpoint.json"
BASE_POINTER = "base.json"
TABLES = "tables"
_MARK = b',"_checkpoint":{"1":'


@dataclass(frozen=True)
class Position:
    """A place in the log: after line ``count`` (``seq``, ``hash``), ``offset`` bytes from the start."""

    offset: int
    seq: int
    hash: str
    count: int

    @classmethod
    def of(cls, head: Head) -> Position:
        return cls(head.size or 0, head.seq, head.hash, head.count)

    def to_json(self) -> dict:
        return {"offset": self.offset, "seq": self.seq, "hash": self.hash, "count": self.count}

    @classmethod
    def from_json(cls, data: dict) -> Position:
        return cls(int(data["offset"]), int(data["seq"]), str(data["hash"]), int(data["count"]))


START = Position(0, 0, GENESIS, 0)


class Damaged(Exception):
    """A table file cannot be used: ``reason`` says why (for the recovery note)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TableFile:
    """A table file's records and the checkpoint values it carries."""

    docs: dict
    seq: int
    hash: str
    sha256: str

    def listing(self) -> dict:
        return {"seq": self.seq, "hash": self.hash, "sha256": self.sha256}


def table_path(root: Path, name: str, part: str) -> Path:
    return Path(root) / TABLES / name / f"{part}.json"


def encode_table(name: str, docs: dict, seq: int, hash_: str) -> tuple[bytes, TableFile]:
    """The bytes of a table file of ``docs`` reflecting log line ``seq``/``hash_``."""
    body = orjson.dumps(docs)
    digest = hashlib.sha256(body).hexdigest()
    meta = {"seq": seq, "hash": hash_, "sha256": digest, "records": len(docs)}
    data = b"{" + orjson.dumps(name) + b":" + body + _MARK + orjson.dumps(meta) + b"}}"
    return data, TableFile(docs, seq, hash_, digest)


def read_table(path: Path, name: str) -> TableFile:
    """The table file at ``path``; raises Damaged (missing, truncated, edited) or OSError."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise Damaged("missing") from None
    prefix = b"{" + orjson.dumps(name) + b":"
    cut = data.rfind(_MARK)
    if not data.startswith(prefix) or cut < 0 or not data.endswith(b"}}"):
        raise Damaged("truncated or not a checkpoint table")
    body = data[len(prefix) : cut]
    try:
        meta = orjson.loads(data[cut + len(_MARK) : -2])
        seq, hash_, digest = int(meta["seq"]), str(meta["hash"]), str(meta["sha256"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        raise Damaged("unreadable checkpoint values") from None
    if hashlib.sha256(body).hexdigest() != digest:
        raise Damaged("content does not match its checksum (edited)")
    try:
        docs = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Damaged("unreadable records") from None
    if not isinstance(docs, dict) or not all(isinstance(d, dict) for d in docs.values()):
        raise Damaged("unreadable records")
    return TableFile(docs, seq, hash_, digest)


def table_names(root: Path) -> list[tuple[str, str]]:
    """``(collection, partition)`` of every table file in the folder, sorted."""
    found = []
    folder = Path(root) / TABLES
    for sub in sorted(folder.iterdir()) if folder.is_dir() else ():
        if sub.is_dir():
            found += [(sub.name, p.stem) for p in sorted(sub.glob("*.json"))]
    return found


@dataclass
class Manifest:
    """``checkpoint.json``: where every table stands, and the position they all reflect."""

    position: Position
    tables: dict[str, dict]  # "collection/partition" -> {"seq", "hash", "sha256"}

    def to_bytes(self) -> bytes:
        body = {"format": 1, "position": self.position.to_json(), "tables": self.tables}
        return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)

    @classmethod
    def parse(cls, data: bytes) -> Manifest:
        body = orjson.loads(data)
        return cls(Position.from_json(body["position"]), dict(body["tables"]))


def read_manifest(root: Path) -> Manifest | None:
    """The folder's manifest, ``None`` when it has none; raises Damaged when unreadable."""
    try:
        return Manifest.parse((Path(root) / MANIFEST_NAME).read_bytes())
    except FileNotFoundError:
        return None
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
        raise Damaged("checkpoint.json is unreadable") from None


def write_manifest(root: Path, manifest: Manifest, *, durable: bool = True) -> None:
    atomic_write(Path(root) / MANIFEST_NAME, manifest.to_bytes(), durable=durable)


def write_base(root: Path, manifest: Manifest) -> Path:
    """Hard-link every listed table into ``base-<seq>/`` with the manifest, check it, point at it.

    Raises Damaged when a linked table does not read back as listed.  Older
    base folders are removed once ``base.json`` names the new one.
    """
    root = Path(root)
    folder = root / f"base-{manifest.position.seq}"
    shutil.rmtree(folder, ignore_errors=True)
    for key, listing in manifest.tables.items():
        name, part = key.split("/", 1)
        target = folder / TABLES / name / f"{part}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        _link_or_copy(table_path(root, name, part), target)
        if read_table(target, name).listing() != listing:
            raise Damaged(f"base snapshot table {key} does not read back as listed")
    for sub in [folder, *folder.rglob("*")]:
        if sub.is_dir():
            fsync_dir(sub)
    write_manifest(folder, manifest)
    pointer = {"folder": folder.name, "position": manifest.position.to_json()}
    atomic_write(root / BASE_POINTER, orjson.dumps(pointer))
    remove_stale_bases(root)
    return folder


def read_base(root: Path) -> tuple[Path, Manifest] | None:
    """The base snapshot's folder and manifest, ``None`` when none was written."""
    try:
        pointer = orjson.loads((Path(root) / BASE_POINTER).read_bytes())
        folder = Path(root) / str(pointer["folder"])
    except FileNotFoundError:
        return None
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise Damaged("base.json is unreadable") from None
    manifest = read_manifest(folder)
    if manifest is None:
        raise Damaged(f"the base snapshot {folder.name} has no manifest")
    return folder, manifest


def move_base(root: Path, position: Position) -> None:
    """Record the base snapshot's new log offset after a purge shortened the log before it.

    Only a base at ``position``'s seq moves (the purge wrote it at the log's end).
    """
    found = read_base(root)
    if found is None or found[1].position.seq != position.seq:
        return
    folder, manifest = found
    manifest.position = position
    write_manifest(folder, manifest)
    pointer = {"folder": folder.name, "position": position.to_json()}
    atomic_write(Path(root) / BASE_POINTER, orjson.dumps(pointer))


def remove_stale_bases(root: Path) -> None:
    """Remove base folders other than the one ``base.json`` names (left by an interrupted purge)."""
    try:
        current = read_base(root)
    except Damaged:
        return
    keep = current[0].name if current else None
    for folder in Path(root).glob("base-*"):
        if folder.is_dir() and folder.name != keep:
            shutil.rmtree(folder, ignore_errors=True)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
