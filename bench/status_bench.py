"""The status engine: every obligation status and the roll-ups (``compliance_report``).

*Warm*: two stores (the size and the next smaller one) loaded and decoded in
this process, their reports computed alternately; the log's chain check is the
one the service caches while the log is unchanged.  *Cold*: a fresh child
process opens the folder and computes the report, so it pays for reading and
decoding every partition and verifying the activity log's hash chain; the
chain check is also timed on its own.  *After a write*: on a private copy,
one evidence decision is recorded, then the report is computed (the activity
log grew, so the service's cached chain check no longer applies): what a
dashboard refresh costs right after the IT office reviewed something.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path

from bench.generate import anchor, working_copy
from bench.store_bench import decide, submitted
from bench.timing import Figure, interleave, median, profile_top, timed
from bench.world import SMALLER
from tracker.core.config import Settings
from tracker.services.compliance import compliance_report
from tracker.storage.store import Store

ROOT = Path(__file__).resolve().parent.parent


def run(
    folders: dict[str, Path], work: Path, size: str, reps: int, profile_dir: Path | None = None
) -> list[Figure]:
    """Warm and cold figures at ``size`` and at the smaller size (``folders`` holds both)."""
    small = SMALLER[size]
    warm = warm_times(folders, (small, size), reps)
    few = max(1, min(3, reps // 3))
    cold = cold_times(folders, (small, size), few)
    after_write = after_write_times(folders[size], work / "status", few)
    if profile_dir is not None:
        store, today = Store.open(Settings.for_folder(folders[size])), anchor(folders[size])
        compliance_report(store, today, cached=False)
        profile_top(
            lambda: compliance_report(store, today, cached=False),
            profile_dir / f"status_engine_{size}.txt",
        )
    return [
        Figure(
            f"status_engine_ms_{small}",
            median(warm[small]) * 1e3,
            "ms",
            1000.0,
            note="facts in memory",
        ),
        Figure(
            f"status_engine_ms_{size}",
            median(warm[size]) * 1e3,
            "ms",
            1000.0,
            note="facts in memory",
        ),
        Figure(
            f"status_engine_{size}_over_{small}",
            median(warm[size]) / median(warm[small]),
            "x",
            12.0,
            note="data grows 10x",
        ),
        Figure(
            f"status_engine_cold_ms_{small}",
            median(c["total_s"] for c in cold[small]) * 1e3,
            "ms",
            note="fresh process: open folder + report",
        ),
        Figure(
            f"status_engine_cold_ms_{size}",
            median(c["total_s"] for c in cold[size]) * 1e3,
            "ms",
            1500.0,
            note="fresh process: open folder + report",
        ),
        Figure(
            f"status_engine_after_write_ms_{size}",
            median(after_write) * 1e3,
            "ms",
            note="warm store, right after one evidence decision",
        ),
        Figure(
            f"status_chain_verify_ms_{size}",
            median(c["chain_s"] for c in cold[size]) * 1e3,
            "ms",
            note="activity log hash chain, part of the cold time",
        ),
    ]


def warm_times(
    folders: dict[str, Path], sizes: tuple[str, str], reps: int
) -> dict[str, list[float]]:
    stores = {s: Store.open(Settings.for_folder(folders[s])) for s in sizes}
    days = {s: anchor(folders[s]) for s in sizes}
    contenders = {
        s: (lambda i, s=s: compliance_report(stores[s], days[s], cached=False)) for s in sizes
    }
    return interleave(contenders, reps)


def after_write_times(folder: Path, work: Path, reps: int) -> list[float]:
    store, today = Store.open(working_copy(folder, work)), anchor(folder)
    compliance_report(store, today, cached=False)
    picks = submitted(store, random.Random(11), reps)
    times = []
    for ev in picks:
        decide(store, ev, approve=True)
        times.append(timed(lambda: compliance_report(store, today, cached=False)))
    return times


def cold_times(
    folders: dict[str, Path], sizes: tuple[str, str], reps: int
) -> dict[str, list[dict]]:
    """Child-process timings, alternating the sizes."""
    out: dict[str, list[dict]] = {s: [] for s in sizes}
    for i in range(reps):
        for s in sizes[:: 1 if i % 2 == 0 else -1]:
            out[s].append(_cold_child(folders[s]))
    return out


def _cold_child(folder: Path) -> dict:
    command = [sys.executable, "-m", "bench.status_bench", str(folder)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def cold(folder: Path) -> dict:
    """In this (fresh) process: open + first report, then the chain check alone."""
    today = anchor(folder)
    began = time.perf_counter()
    store = Store.open(Settings.for_folder(folder))
    compliance_report(store, today, cached=False)
    total = time.perf_counter() - began
    began = time.perf_counter()
    store.log.verify()
    return {"total_s": total, "chain_s": time.perf_counter() - began}


if __name__ == "__main__":
    print(json.dumps(cold(Path(sys.argv[1]))))
