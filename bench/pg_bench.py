"""The PostgreSQL backend's figures: ``python -m bench --backend postgres``.

The generated folder of a size is copied once into a base database
(``store copy``'s own code, :func:`tracker.storage.pg_admin.copy_folder`); every
benchmark then works on a database made from it as a template, so the base
stays pristine as the cached folders do.  The server is a temporary one from
Debian's ``postgresql`` package (:mod:`tests.pg_server`, fsync on), or the one
``--pg-url`` names (a maintenance database on a server where the bench may
create databases).  The figures keep the folder run's names where they measure
the same thing:

* ``store_write_ms_{size}``: one evidence decision (``review_evidence``) through
  :class:`~tracker.storage.postgres.PgStore`; ``store_write_raw_pg_ms_{size}``:
  a bare ``INSERT`` + ``COMMIT`` of the same record's document into a plain
  ``(id, jsonb)`` table on the same server; ``store_write_vs_raw_pg`` their
  ratio, timed side by side.  ``store_read_ms_{size}``: a warm ``get``.
* ``status_engine_*``: as in :mod:`bench.status_bench`; *cold* is a fresh child
  process that connects, loads every record and computes the report.
* ``dashboard_render_*``: as in :mod:`bench.dashboard_bench`, the app pointed at
  the database by ``TRACKER_DATABASE_URL``.
* ``pg_copy_s_{size}``: how long the copy of the folder into the base took.
* ``store_open_ms_{size}``: ``PgStore.open`` alone in a fresh child process
  (connect, schema version, the log's tail); ``store_check_s_{size}``:
  ``store check`` in process (:func:`~tracker.storage.pg_check.check_database`:
  the whole log verified and replayed, every row compared).
  ``store_rebuild_s_{size}`` is not measured: rows are not checkpoints of the
  log, so PostgreSQL has no ``store rebuild``.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import orjson
import psycopg

from bench.generate import anchor
from bench.store_bench import decide, submitted
from bench.timing import Figure, interleave, median, ratio, timed
from tracker.core.config import Settings
from tracker.domain.evidence import Evidence
from tracker.services.compliance import compliance_report
from tracker.storage.codec import to_doc
from tracker.storage.pg_admin import copy_folder
from tracker.storage.postgres import PgStore
from tracker.storage.store import Store

ROOT = Path(__file__).resolve().parent.parent


class Server:
    """The run's PostgreSQL server and the databases made on it (dropped at :meth:`close`)."""

    def __init__(self, url: str | None = None):
        self._temporary = None
        if url is None:
            sys.path.insert(0, str(ROOT))  # tests.pg_server: the tests' own throwaway server
            from tests.pg_server import start_server

            self._temporary = start_server(fsync=True)
            url = self._temporary.url()
        self.admin = url
        self.made: list[str] = []
        self.bases: dict[str, str] = {}
        self.copy_s: dict[str, float] = {}

    def base(self, size: str, folder: Path) -> str:
        """The name of the database holding ``folder``'s data, copied on first use."""
        if size not in self.bases:
            name = self._create(f"bench_base_{size.lower()}")
            began = time.perf_counter()
            copy_folder(Store.open(Settings.for_folder(folder)), self.url(name))
            store = PgStore.open(self.settings(self.url(name), folder))
            store.log_intact()  # as store copy does: later processes check only newer lines
            store.close()
            self.copy_s[size] = time.perf_counter() - began
            self.bases[size] = name
        return self.bases[size]

    def working(self, size: str, folder: Path, label: str) -> str:
        """A new database made from the base of ``size`` (a template copy); its URL."""
        base = self.base(size, folder)
        name = self._create(f"bench_{label}_{size.lower()}_{len(self.made)}", template=base)
        return self.url(name)

    def url(self, name: str) -> str:
        """The URL of database ``name`` on this server (the admin URL with another path)."""
        return urlunsplit(urlsplit(self.admin)._replace(path=f"/{name}"))

    @staticmethod
    def settings(url: str, folder: Path) -> Settings:
        """Settings of the database ``url``, with the other folders under ``folder``."""
        return replace(Settings.for_folder(folder), database_url=url)

    def _create(self, name: str, template: str = "template0") -> str:
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        self.made.append(name)
        return name

    def close(self) -> None:
        try:
            with psycopg.connect(self.admin, autocommit=True) as conn:
                for name in reversed(self.made):
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            if self._temporary is not None:
                self._temporary.stop()


def store_figures(server: Server, folder: Path, work: Path, size: str, reps: int) -> list[Figure]:
    url = server.working(size, folder, "store")
    store = PgStore.open(server.settings(url, work / "store"))
    try:
        store.all(Evidence)  # the cache is warm from here, as in the folder run
        rng = random.Random(7)
        picks = submitted(store, rng, reps + 1)
        reps = len(picks) - 1
        docs = [orjson.dumps(to_doc(ev)).decode() for ev in picks]
        with psycopg.connect(url) as raw:
            raw.execute("CREATE TABLE bench_raw (id text PRIMARY KEY, doc jsonb NOT NULL)")
            raw.commit()

            def bare_insert(i: int) -> None:
                raw.execute("INSERT INTO bench_raw VALUES (%s, %s::jsonb)", (f"r{i}", docs[i]))
                raw.commit()

            times = interleave(
                {"store": lambda i: decide(store, picks[i], i % 2 == 0), "raw": bare_insert},
                reps,
            )
        reads = read_times(store, rng, reps)
    finally:
        store.close()
    return [
        Figure(
            f"store_write_ms_{size}", median(times["store"]) * 1e3, "ms", note=f"median of {reps}"
        ),
        Figure(
            f"store_write_raw_pg_ms_{size}",
            median(times["raw"]) * 1e3,
            "ms",
            note="INSERT + COMMIT of the same document (jsonb), same server",
        ),
        Figure("store_write_vs_raw_pg", ratio(times, "store", "raw"), "x", 2.0, note=f"at {size}"),
        Figure(
            f"store_read_ms_{size}", reads * 1e3, "ms", 1.0, note="warm cache, 200 gets a block"
        ),
        Figure(
            f"pg_copy_s_{size}",
            server.copy_s.get(size),
            "s",
            note="store copy of the generated folder into the base database",
        ),
    ]


def read_times(store: PgStore, rng: random.Random, reps: int, block: int = 200) -> float:
    """The median time of one warm ``get`` (each checks the log head once: a round trip)."""
    ids = [ev.id for ev in rng.sample(store.all(Evidence), block)]
    times = [timed(lambda: [store.get(Evidence, i) for i in ids]) for _ in range(max(3, reps // 3))]
    return median(times) / block


def status_figures(
    server: Server, folders: dict[str, Path], work: Path, size: str, small: str, reps: int
) -> list[Figure]:
    urls = {s: server.working(s, folders[s], "status") for s in (small, size)}
    days = {s: anchor(folders[s]) for s in (small, size)}
    stores = {s: PgStore.open(server.settings(urls[s], work / f"status-{s}")) for s in urls}
    try:
        warm = interleave(
            {s: (lambda i, s=s: compliance_report(stores[s], days[s], cached=False)) for s in urls},
            reps,
        )
        few = max(1, min(3, reps // 3))
        cold = {s: [] for s in urls}
        for i in range(few):
            for s in (small, size)[:: 1 if i % 2 == 0 else -1]:
                cold[s].append(_cold_child(urls[s], work / f"status-{s}", days[s]))
        after = []
        for ev in submitted(stores[size], random.Random(11), few):
            decide(stores[size], ev, approve=True)
            after.append(timed(lambda: compliance_report(stores[size], days[size], cached=False)))
    finally:
        for store in stores.values():
            store.close()
    note = "fresh process: connect, load every record, report"
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
            note=note,
        ),
        Figure(
            f"status_engine_cold_ms_{size}",
            median(c["total_s"] for c in cold[size]) * 1e3,
            "ms",
            1500.0,
            note=note,
        ),
        Figure(
            f"status_engine_after_write_ms_{size}",
            median(after) * 1e3,
            "ms",
            note="warm store, right after one evidence decision",
        ),
        Figure(
            f"status_chain_verify_ms_{size}",
            median(c["chain_s"] for c in cold[size]) * 1e3,
            "ms",
            note="log verify: every line, read from the database (not part of the cold time)",
        ),
    ]


def _cold_child(url: str, folder: Path, day) -> dict:
    command = [sys.executable, "-m", "bench.pg_bench", "cold", url, str(folder), day.isoformat()]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def cold(url: str, folder: Path, day: str) -> dict:
    """In this (fresh) process: connect + first report, then the full chain check alone."""
    from datetime import date

    began = time.perf_counter()
    store = PgStore.open(replace(Settings.for_folder(folder), database_url=url))
    compliance_report(store, date.fromisoformat(day), cached=False)
    total = time.perf_counter() - began
    began = time.perf_counter()
    store.log.verify()
    return {"total_s": total, "chain_s": time.perf_counter() - began}


def dashboard_figures(
    server: Server, folder: Path, work: Path, size: str, reps: int
) -> list[Figure]:
    import os

    settings = server.settings(server.working(size, folder, "dashboard"), work / "dashboard")
    env = os.environ | {
        "TRACKER_DATA_DIR": str(settings.data_dir),
        "TRACKER_EVIDENCE_DIR": str(settings.evidence_dir),
        "TRACKER_TRUST_DIR": str(settings.trust_dir),
        "TRACKER_DATABASE_URL": settings.database_url,
    }
    command = [sys.executable, "-m", "bench.dashboard_bench", str(reps)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"AppTest child failed: {done.stderr.strip().splitlines()[-1:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    note = f"{result['elements']} metrics; median of {reps} new sessions"
    return [
        Figure(f"dashboard_render_s_{size}", median(result["warm_s"]), "s", 3.0, note=note),
        Figure(
            f"dashboard_render_cold_s_{size}",
            result["cold_s"],
            "s",
            3.0,
            note="first session: connects and loads the store",
        ),
    ]


def integrity_figures(
    server: Server, folder: Path, work: Path, size: str, reps: int
) -> list[Figure]:
    """Opening a store in a fresh process, and ``store check`` (rows against the replayed log)."""
    from tracker.storage.pg_check import check_database

    url = server.working(size, folder, "integrity")
    opens = [_open_child(url, work / "integrity") for _ in range(reps)]
    store = PgStore.open(server.settings(url, work / "integrity"))
    try:
        checks = []
        for _ in range(max(1, reps // 3)):
            began = time.perf_counter()
            result = check_database(store)
            checks.append(time.perf_counter() - began)
    finally:
        store.close()
    note = f"{result.records} records, {result.log_lines} log lines, {len(result.differences)} differences"
    return [
        Figure(
            f"store_open_ms_{size}",
            median(opens) * 1e3,
            "ms",
            note=f"fresh process; median of {reps}",
        ),
        Figure(f"store_check_s_{size}", median(checks), "s", note=note),
        Figure(
            f"store_rebuild_s_{size}",
            None,
            not_measured="a database's rows are not checkpoints of the log: nothing to rebuild",
        ),
    ]


def _open_child(url: str, folder: Path) -> float:
    command = [sys.executable, "-m", "bench.pg_bench", "open", url, str(folder)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)["open_s"]


if __name__ == "__main__":
    if sys.argv[1] == "cold":
        print(json.dumps(cold(sys.argv[2], Path(sys.argv[3]), sys.argv[4])))
    elif sys.argv[1] == "open":
        settings = replace(Settings.for_folder(Path(sys.argv[3])), database_url=sys.argv[2])
        print(json.dumps({"open_s": timed(lambda: PgStore.open(settings))}))
