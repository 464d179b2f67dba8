"""The store: recording one evidence decision and reading one record by id.

Contenders, interleaved in one process on a private copy of a generated folder:

* ``store``: ``review_evidence`` of a random submitted record (approve and
  reject alternate) through ``Store``; a read is ``Store.get`` with a warm cache;
* ``tinydb``: plain TinyDB on ``JSONStorage`` with every evidence record in one
  table of one file: ``table.update(fields, doc_ids=[...])`` and ``table.get(doc_id=...)``
  (which parse the whole file each time, as JSONStorage does);
* ``raw``: the floor for a durable write: ``orjson.dumps`` of the partition the
  store's write touched, written to a temp file, fsynced and renamed;
* ``fsync``: one byte appended to a file and fsynced, the disk's own floor
  (reported, no target).
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

import orjson
from tinydb import TinyDB
from tinydb.storages import JSONStorage

from bench.generate import working_copy
from bench.timing import Figure, interleave, median, profile_top, ratio, timed
from tracker.core import clock
from tracker.domain.enums import ReviewState
from tracker.domain.evidence import Evidence
from tracker.services.evidence import review_evidence
from tracker.storage.codec import to_doc
from tracker.storage.registry import collection_of
from tracker.storage.store import Store

REVIEWER = "it.office"


@dataclass
class Bench:
    """The store under test, its TinyDB twin and where the raw writes go."""

    store: Store
    tiny: TinyDB
    doc_ids: dict[str, int]
    work: Path
    rng: random.Random

    def partition_file(self, ev: Evidence) -> Path:
        part = collection_of(Evidence).partition(ev)
        return self.store.root / "tables" / "evidence" / f"{part}.json"


def run(
    folder: Path, work: Path, size: str, reps: int, profile_dir: Path | None = None
) -> list[Figure]:
    """Write and read figures at ``size`` (``reps`` repetitions of each fast contender)."""
    bench = setup(folder, work)
    figures = write_figures(bench, size, reps) + read_figures(bench, size, reps)
    if profile_dir is not None:
        picks = submitted(bench.store, bench.rng, 20)
        profile_top(
            lambda: [decide(bench.store, ev, True) for ev in picks],
            profile_dir / f"store_write_{size}.txt",
        )
    bench.tiny.close()
    return figures


def setup(folder: Path, work: Path) -> Bench:
    store = Store.open(working_copy(folder, work / "store"))
    evidence = store.all(Evidence)  # loads and decodes every partition: the cache is warm from here
    path = work / "tinydb-evidence.json"
    doc_ids = {ev.id: n for n, ev in enumerate(evidence, start=1)}
    tiny = TinyDB(path, storage=JSONStorage)
    tiny.storage.write({"evidence": {str(doc_ids[ev.id]): to_doc(ev) for ev in evidence}})
    (work / "raw").mkdir(exist_ok=True)
    return Bench(store, tiny, doc_ids, work, random.Random(7))


def submitted(store: Store, rng: random.Random, count: int) -> list[Evidence]:
    """``count`` random submitted records (each can be decided once)."""
    pool = [e for e in store.all(Evidence) if e.state == ReviewState.SUBMITTED]
    return rng.sample(pool, min(count, len(pool)))


def decide(store: Store, ev: Evidence, approve: bool) -> Evidence:
    """Record one evidence decision, as the IT office's review page does."""
    reason = "" if approve else "簽名欄空白，請補簽後重新上傳"
    return review_evidence(store, REVIEWER, "it_office", ev.id, approve=approve, reason=reason)


def write_figures(bench: Bench, size: str, reps: int) -> list[Figure]:
    picks = submitted(bench.store, bench.rng, reps + 1)
    reps = len(picks) - 1
    tables = [orjson.loads(bench.partition_file(ev).read_bytes()) for ev in picks]
    table = bench.tiny.table("evidence")
    contenders = {
        "store": lambda i: decide(bench.store, picks[i], i % 2 == 0),
        "raw": lambda i: raw_write(
            bench.work / "raw" / bench.partition_file(picks[i]).name, tables[i]
        ),
        "tinydb": lambda i: table.update(_decision_fields(i), doc_ids=[bench.doc_ids[picks[i].id]]),
        "fsync": lambda i: append_fsync(bench.work / "raw" / "fsync.bin"),
    }
    times = interleave(contenders, reps, every={"tinydb": _slow_every(reps)})
    extra = submitted(bench.store, bench.rng, 1)
    return [
        Figure(
            f"store_write_ms_{size}", median(times["store"]) * 1e3, "ms", note=f"median of {reps}"
        ),
        Figure(
            "store_write_fsyncs",
            fsyncs_of(lambda: decide(bench.store, extra[0], True)) if extra else None,
            note="os.fsync calls in one decision",
            not_measured="" if extra else "no submitted evidence left",
        ),
        Figure(
            f"store_write_tinydb_ms_{size}",
            median(times["tinydb"]) * 1e3,
            "ms",
            note=_tinydb_note(bench, len(times["tinydb"])),
        ),
        Figure(f"store_write_raw_ms_{size}", median(times["raw"]) * 1e3, "ms"),
        Figure(
            f"disk_fsync_ms_{size}",
            median(times["fsync"]) * 1e3,
            "ms",
            note="1-byte append + fsync",
        ),
        Figure(
            "store_write_vs_tinydb", ratio(times, "store", "tinydb"), "x", 0.2, note=f"at {size}"
        ),
        Figure("store_write_vs_raw", ratio(times, "store", "raw"), "x", 1.2, note=f"at {size}"),
        checkpoint_figure(bench, size, reps),
    ]


def checkpoint_figure(bench: Bench, size: str, decisions: int) -> Figure:
    """The checkpoint the store writes later for these decisions (every touched table, once)."""
    tables = len({collection_of(Evidence).partition(e) for e in bench.store.all(Evidence)})
    dirty = len({(e.get("collection"), e.get("record")) for e in bench.store.view.tail})
    seconds = timed(bench.store.checkpoint)
    return Figure(
        f"store_checkpoint_ms_{size}",
        seconds * 1e3,
        "ms",
        note=f"after {decisions} decisions ({dirty} records changed, of {tables} evidence tables); "
        f"written once per {bench.store.CHECKPOINT_LINES} log lines",
    )


def read_figures(bench: Bench, size: str, reps: int, block: int = 200) -> list[Figure]:
    evidence = bench.store.all(Evidence)
    ids = [ev.id for ev in bench.rng.sample(evidence, min(len(evidence), block * (reps + 1)))]
    blocks = [ids[i * block : (i + 1) * block] or ids[:block] for i in range(reps + 1)]
    table = bench.tiny.table("evidence")
    contenders = {
        "store": lambda i: [bench.store.get(Evidence, rid) for rid in blocks[i]],
        "tinydb": lambda i: table.get(doc_id=bench.doc_ids[blocks[i][0]]),
    }
    times = interleave(contenders, reps, every={"tinydb": _slow_every(reps)})
    per_get = median(times["store"]) / block
    return [
        Figure(
            f"store_read_ms_{size}",
            per_get * 1e3,
            "ms",
            1.0,
            note=f"warm cache, {block} gets a block",
        ),
        Figure(
            f"store_read_tinydb_ms_{size}",
            median(times["tinydb"]) * 1e3,
            "ms",
            note=_tinydb_note(bench, len(times["tinydb"])),
        ),
        Figure(
            "store_read_vs_tinydb", per_get / median(times["tinydb"]), "x", 0.01, note=f"at {size}"
        ),
    ]


def raw_write(path: Path, table: dict) -> None:
    """Serialise one table with orjson and replace ``path`` durably (temp, fsync, rename)."""
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        fh.write(orjson.dumps(table))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def fsyncs_of(work) -> int:
    """How many times ``work()`` calls ``os.fsync``."""
    calls, original = [], os.fsync

    def counting(fd):
        calls.append(fd)
        return original(fd)

    os.fsync = counting
    try:
        work()
    finally:
        os.fsync = original
    return len(calls)


def append_fsync(path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, b"x")
        os.fsync(fd)
    finally:
        os.close(fd)


def _decision_fields(i: int) -> dict:
    approve = i % 2 == 0
    return {
        "state": "approved" if approve else "rejected",
        "reviewed_by": REVIEWER,
        "reviewed_at": clock.now().isoformat(),
        "review_reason": "" if approve else "簽名欄空白",
    }


def _slow_every(reps: int) -> int:
    """Run TinyDB (a whole-file parse per call) in about seven of the repetitions."""
    return max(1, reps // 7)


def _tinydb_note(bench: Bench, count: int) -> str:
    size = (bench.work / "tinydb-evidence.json").stat().st_size / 1e6
    return f"median of {count}; one {size:.0f} MB file"
