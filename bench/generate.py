"""Synthetic, consistent data for the benchmarks, cached per size and generator version.

    python -m bench.generate [--size S|M|L] [--out bench/out] [--force]

Sizes (vendors / vendor staff / evidence): S 10 / 100 / 1,000, M 100 / 1,000 /
10,000, L 1,000 / 10,000 / 100,000, with agencies, about two contracts per
vendor, dedicated PCs, incidents, NIA accounts (L: 5,000), self-audits and three
web-app accounts.  XS (1 / 10 / 100) exists only as the smaller side of S's
scaling ratio.  Evidence points at real subjects, with several revisions per
(subject, kind) and a realistic mix of review states; its sha256 values are
random hex and no file exists under the evidence folder.

Records are built in memory (:mod:`bench.world`) and written through
``Store.put_many`` in batches of a few thousand, sorted by partition, so each
call writes each partition file once, and a last checkpoint writes every
table at the log's end.  The store is opened with ``durable=False`` (table
files are not fsynced; the activity log still is): this is throw-away data.

A size is generated into ``<out>/.<size>.tmp`` and renamed to ``<out>/<size>``
once complete; its ``manifest.json`` records the generator version, the anchor
date (the "today" the data was built around) and the counts.  A folder with no
manifest or another version's is generated again.  ``working_copy`` gives a
benchmark a private folder to write to.  The query-log exports come from the
query-log benchmark's own generator (``bench/querylog_bench.py``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import orjson
from filelock import FileLock

from bench.world import SIZES, World
from tracker.core import clock
from tracker.core.config import Settings
from tracker.services import users
from tracker.storage.registry import collection_of
from tracker.storage.store import Store

GENERATOR_VERSION = 2  # 2: the store of issue 11 (tables are checkpoints of the log)
DEFAULT_OUT = Path(__file__).resolve().parent / "out"
ACTOR = "bench"
BATCH = 5000
BENCH_PASSWORD = "bench-password"
APP_USERS = (("manager", "manager"), ("it.office", "it_office"), ("account.admin", "account_admin"))
QUERYLOG_ROWS = (100_000, 1_000_000)


def ensure(size: str, out: Path = DEFAULT_OUT, *, force: bool = False) -> Path:
    """The folder of ``size`` under ``out``, generated first unless a current one is cached."""
    out.mkdir(parents=True, exist_ok=True)
    folder = out / size
    with FileLock(str(out / f".{size}.lock")):
        if not force and manifest(folder).get("generator") == GENERATOR_VERSION:
            return folder
        tmp = out / f".{size}.tmp"
        for stale in (tmp, folder):
            shutil.rmtree(stale, ignore_errors=True)
        facts = generate(size, tmp)
        (tmp / "manifest.json").write_bytes(orjson.dumps(facts, option=orjson.OPT_INDENT_2))
        tmp.rename(folder)
    return folder


def manifest(folder: Path) -> dict:
    """The folder's manifest, ``{}`` when there is none (not generated, or interrupted)."""
    try:
        return orjson.loads((folder / "manifest.json").read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return {}


def anchor(folder: Path) -> date:
    """The date the folder's data was built around (use it as "today")."""
    return date.fromisoformat(manifest(folder)["anchor"])


def generate(size: str, root: Path, seed: int = 20250101) -> dict:
    """Write one size's records into a new data folder under ``root``; returns the manifest."""
    began = time.perf_counter()
    today = clock.today()
    world = World(SIZES[size], today, seed)
    store = Store(Settings.for_folder(root), durable=False)
    counts = {}
    for name, records in world.collections():
        write_records(store, records)
        counts[name] = len(records)
    for username, role in APP_USERS:
        users.create_user(store, ACTOR, username=username, role=role, password=BENCH_PASSWORD)
    store.checkpoint()  # every table at the log's end, as a folder in use is after a checkpoint
    (root / "evidence").mkdir(exist_ok=True)
    return {
        "generator": GENERATOR_VERSION,
        "size": size,
        "seed": seed,
        "anchor": today.isoformat(),
        "counts": counts,
        "states": world.evidence_states(),
        "seconds": round(time.perf_counter() - began, 1),
    }


def write_records(store: Store, records: Iterable) -> None:
    """``put_many`` in batches of :data:`BATCH`, sorted so a partition is written about once."""
    ordered = sorted(records, key=_partition_key)
    for start in range(0, len(ordered), BATCH):
        store.put_many(ordered[start : start + BATCH], actor=ACTOR, action="bench_generated")


def _partition_key(record) -> str:
    return collection_of(record).partition(record)


def working_copy(folder: Path, dest: Path) -> Settings:
    """A private, writable copy of a generated folder at ``dest``.

    Table files are hard-linked: the store never edits one in place, it
    replaces it (temp file, rename), so a write to the copy leaves the cached
    folder as it was.  The activity log, its head and the other files of the
    folder's top level are copied.
    ``dest`` must be on the same file system as ``folder``.
    """
    data = folder / "data"
    shutil.copytree(data / "tables", dest / "data" / "tables", copy_function=os.link)
    for path in data.iterdir():
        if path.is_file() and path.name != ".lock":
            shutil.copy2(path, dest / "data" / path.name)
    (dest / "evidence").mkdir(exist_ok=True)
    return Settings.for_folder(dest)


def querylog_csv(rows: int, out: Path = DEFAULT_OUT) -> Path:
    """An export of ``rows`` query-log lines (ROC dates), made by the query-log benchmark's generator."""
    from bench import querylog_bench

    path = out / f"querylog-{rows}-roc.csv"
    with FileLock(str(out / f".querylog-{rows}.lock")):
        if not path.exists():
            tmp = querylog_bench.generate_csv(path.with_suffix(".tmp"), rows, "roc")
            tmp.rename(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=tuple(SIZES), default="L")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--force", action="store_true", help="generate again even if cached")
    parser.add_argument("--logs", action="store_true", help="also the query-log exports")
    args = parser.parse_args(argv)
    folder = ensure(args.size, args.out, force=args.force)
    print(orjson.dumps(manifest(folder), option=orjson.OPT_INDENT_2).decode())
    for rows in QUERYLOG_ROWS if args.logs else ():
        print(querylog_csv(rows, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
