"""Experiments behind the proposals in BENCHMARKS.md; not part of ``python -m bench``.

    python -m bench.whatif log-commit [--size L]   one decision whose only disk write is the log
    python -m bench.whatif gc [--size L]           compliance_report with the cyclic GC on, paused, frozen
    python -m bench.whatif rollup [--size L]       today's five roll-up passes against one pass

They reach into the store's private attributes or re-implement a function to
show what a change would save, so they may stop working when the modules they
probe change: delete an experiment once its proposal is decided.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import tempfile
import time
from collections import defaultdict
from operator import attrgetter
from pathlib import Path

import orjson

from bench.generate import DEFAULT_OUT, anchor, ensure, working_copy
from bench.store_bench import append_fsync, decide, raw_write, submitted
from bench.timing import interleave, median
from tracker.compliance.loader import default_catalogue
from tracker.compliance.rollups import Rollup, rollup
from tracker.compliance.status import evaluate
from tracker.core.config import Settings
from tracker.domain.enums import Status
from tracker.domain.evidence import Evidence
from tracker.services.compliance import compliance_report
from tracker.storage.registry import collection_of
from tracker.storage.store import Store

ROLLUP_KEYS = ("vendor_id", "contract_id", "obligation_id", "agency_id")


def log_commit(folder: Path, reps: int = 41) -> dict[str, float]:
    """Median ms of a decision today, with partition files kept in memory only, and of raw/fsync.

    The second store's partition storages get ``path = None`` after loading
    (what a store that rewrites partition files in a later checkpoint would pay
    per decision: the activity-log append and its fsync).
    """
    with tempfile.TemporaryDirectory(dir=folder.parent) as scratch:
        work = Path(scratch)
        today, deferred = (_loaded(working_copy(folder, work / n)) for n in ("today", "deferred"))
        for parts in deferred._parts.values():
            for part in parts.values():
                part.storage.path = None
        picks = submitted(today, random.Random(5), reps + 1)
        files = [_partition_file(today, ev) for ev in picks]
        tables = [orjson.loads(f.read_bytes()) for f in files]
        (work / "raw").mkdir()
        times = interleave({
            "store_today": lambda i: decide(today, picks[i], i % 2 == 0),
            "log_commit": lambda i: decide(deferred, picks[i], i % 2 == 0),
            "raw": lambda i: raw_write(work / "raw" / files[i].name, tables[i]),
            "fsync": lambda i: append_fsync(work / "raw" / "fsync.bin"),
        }, len(picks) - 1)  # fmt: skip
    return {name: median(values) * 1e3 for name, values in times.items()}


def _loaded(settings: Settings) -> Store:
    store = Store.open(settings)
    store.all(Evidence)
    return store


def _partition_file(store: Store, ev: Evidence) -> Path:
    part = collection_of(Evidence).partition(ev)
    return store.root / "tables" / "evidence" / f"{part}.json"


def gc_modes(folder: Path, reps: int = 12) -> dict[str, dict]:
    """compliance_report with the collector on, paused and frozen: ms and full collections."""
    store, day = Store.open(Settings.for_folder(folder)), anchor(folder)
    compliance_report(store, day)
    full: list[float] = []
    gc.callbacks.append(_full_collection_timer(full))
    modes = {"on": lambda: None, "paused": gc.disable, "frozen": gc.freeze}
    results: dict[str, list[tuple[float, int]]] = {m: [] for m in modes}
    for i in range(reps):
        for mode in list(modes)[i % 3 :] + list(modes)[: i % 3]:
            full.clear()
            modes[mode]()
            began = time.perf_counter()
            compliance_report(store, day)
            results[mode].append((time.perf_counter() - began, len(full)))
            gc.enable()
            gc.unfreeze()
    return {
        mode: {
            "ms": median([t for t, _ in r]) * 1e3,
            "full_collections": sum(n for _, n in r) / reps,
        }
        for mode, r in results.items()
    } | {"tracked_objects": len(gc.get_objects())}


def _full_collection_timer(out: list[float]):
    started = [0.0]

    def callback(phase: str, info: dict) -> None:
        if info["generation"] == 2:
            if phase == "start":
                started[0] = time.perf_counter()
            else:
                out.append(time.perf_counter() - started[0])

    return callback


def one_pass_rollups(rows) -> tuple[Rollup, list[dict]]:
    """The overall and the four keyed roll-ups in a single pass, counting by Status member."""
    get = attrgetter(*ROLLUP_KEYS)
    tables = [defaultdict(lambda: [0, 0, defaultdict(int)]) for _ in ROLLUP_KEYS]
    overall = [0, 0, defaultdict(int)]
    for r in rows:
        status, applicable = r.status, r.status is not Status.NOT_APPLICABLE
        for cell in [
            overall,
            *(t[k] for t, k in zip(tables, get(r), strict=True) if k is not None),
        ]:
            cell[2][status] += 1
            if applicable:
                cell[1] += 1
                cell[0] += r.ok

    def done(cell) -> Rollup:
        return Rollup(cell[0], cell[1], {s.value: n for s, n in cell[2].items()})

    return done(overall), [{k: done(c) for k, c in t.items()} for t in tables]


def rollup_passes(folder: Path, reps: int = 9) -> dict[str, float]:
    """Median ms of today's five ``rollup`` calls and of :func:`one_pass_rollups` (same results)."""
    store, day = Store.open(Settings.for_folder(folder)), anchor(folder)
    rows = evaluate(default_catalogue(), store.facts(), day)
    overall, keyed = one_pass_rollups(rows)
    assert overall == rollup(rows)[None] and keyed == [rollup(rows, k) for k in ROLLUP_KEYS]
    times = interleave({
        "five_passes": lambda i: [rollup(rows)] + [rollup(rows, k) for k in ROLLUP_KEYS],
        "one_pass": lambda i: one_pass_rollups(rows),
    }, reps)  # fmt: skip
    return {name: median(values) * 1e3 for name, values in times.items()}


EXPERIMENTS = {"log-commit": log_commit, "gc": gc_modes, "rollup": rollup_passes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.whatif", description=__doc__.splitlines()[0]
    )
    parser.add_argument("experiment", choices=tuple(EXPERIMENTS))
    parser.add_argument("--size", default="L")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    result = EXPERIMENTS[args.experiment](ensure(args.size, args.out))
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
