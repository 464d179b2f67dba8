"""Run the benchmarks and print their figures: ``python -m bench [--size S|M|L] [--only NAME...] [--json]``.

``--backend postgres`` runs the store, status, dashboard, integrity and app benchmarks on
PostgreSQL instead of the data folder (:mod:`bench.pg_bench`); the log and PDF
benchmarks do not touch the store and run as they are.

Each benchmark returns named figures; a benchmark that cannot run (a missing
browser, a module not written yet, an error) yields its figures as "not
measured" with the reason, so every figure name is always present.  Progress
goes to stderr; stdout gets the table, or with ``--json`` exactly one JSON
object.  ``--quick`` is a smoke run: few repetitions, the 100,000-row log.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.generate import DEFAULT_OUT, ensure
from bench.timing import Figure
from bench.world import SIZES, SMALLER


@dataclass(frozen=True)
class Run:
    """What one invocation asked for, and where its data and scratch folders are."""

    size: str
    quick: bool
    out: Path
    work: Path
    profile_dir: Path | None
    pg: object = None  # bench.pg_bench.Server when the backend is PostgreSQL

    @property
    def small(self) -> str:
        return SMALLER[self.size]

    @property
    def log_rows(self) -> int:
        return 100_000 if self.quick else 1_000_000

    def reps(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    def folder(self, size: str | None = None) -> Path:
        return ensure(size or self.size, self.out)


def _store(run: Run) -> list[Figure]:
    from bench import store_bench

    return store_bench.run(run.folder(), run.work, run.size, run.reps(31, 5), run.profile_dir)


def _status(run: Run) -> list[Figure]:
    from bench import status_bench

    folders = {s: run.folder(s) for s in (run.small, run.size)}
    return status_bench.run(folders, run.work, run.size, run.reps(9, 3), run.profile_dir)


def _dashboard(run: Run) -> list[Figure]:
    from bench import dashboard_bench

    return dashboard_bench.run(run.folder(), run.work, run.size, run.reps(5, 1), run.profile_dir)


def _log(run: Run) -> list[Figure]:
    from bench import log_bench

    return log_bench.run(run.out, run.log_rows, run.reps(5, 1))


def _pdf(run: Run) -> list[Figure]:
    from bench import pdf_bench

    return pdf_bench.run(run.reps(31, 5))


def _integrity(run: Run) -> list[Figure]:
    from bench import integrity_bench

    return integrity_bench.run(run.folder(), run.work, run.size, run.reps(5, 1))


def _app(run: Run) -> list[Figure]:
    from bench import app_bench

    url = run.pg.working(run.size, run.folder(), "app") if run.pg else None
    return app_bench.run(run.folder(), run.work, run.reps(3, 1), url)


def _pg_store(run: Run) -> list[Figure]:
    from bench import pg_bench

    return pg_bench.store_figures(run.pg, run.folder(), run.work, run.size, run.reps(31, 5))


def _pg_status(run: Run) -> list[Figure]:
    from bench import pg_bench

    folders = {s: run.folder(s) for s in (run.small, run.size)}
    return pg_bench.status_figures(run.pg, folders, run.work, run.size, run.small, run.reps(9, 3))


def _pg_integrity(run: Run) -> list[Figure]:
    from bench import pg_bench

    return pg_bench.integrity_figures(run.pg, run.folder(), run.work, run.size, run.reps(5, 1))


def _pg_dashboard(run: Run) -> list[Figure]:
    from bench import pg_bench

    return pg_bench.dashboard_figures(run.pg, run.folder(), run.work, run.size, run.reps(5, 1))


# name -> (figure names, with {size}, {small} and {rows} filled in; the function)
BENCHMARKS: dict[str, tuple[tuple[str, ...], Callable[[Run], list[Figure]]]] = {
    "store": (
        (
            "store_write_ms_{size}",
            "store_write_fsyncs",
            "store_write_tinydb_ms_{size}",
            "store_write_raw_ms_{size}",
            "disk_fsync_ms_{size}",
            "store_write_vs_tinydb",
            "store_write_vs_raw",
            "store_read_ms_{size}",
            "store_read_tinydb_ms_{size}",
            "store_read_vs_tinydb",
        ),
        _store,
    ),
    "status": (
        (
            "status_engine_ms_{small}",
            "status_engine_ms_{size}",
            "status_engine_{size}_over_{small}",
            "status_engine_cold_ms_{small}",
            "status_engine_cold_ms_{size}",
            "status_engine_after_write_ms_{size}",
            "status_chain_verify_ms_{size}",
        ),
        _status,
    ),
    "dashboard": (("dashboard_render_s_{size}", "dashboard_render_cold_s_{size}"), _dashboard),
    "integrity": (
        ("store_open_ms_{size}", "store_check_s_{size}", "store_rebuild_s_{size}"),
        _integrity,
    ),
    "log": (
        (
            "log_import_sample_vs_pandas_{rows}",
            "log_import_sample_s_{rows}",
            "log_pandas_read_csv_s_{rows}",
            "log_import_peak_mb_{rows}",
            "log_pandas_peak_mb_{rows}",
            "log_import_sample_cpu_vs_pandas_{rows}",
        ),
        _log,
    ),
    "pdf": (
        (
            "pdf_inspect_vs_pypdf",
            "pdf_inspect_net_vs_pypdf",
            "pdf_inspect_ms",
            "pdf_pypdf_ms",
            "pdf_sandbox_fixed_ms",
            "pdf_sandbox_startup_ms",
        ),
        _pdf,
    ),
    "app": (("app_cold_start_s", "app_health_s", "app_first_fetch_s", "app_frontend_s"), _app),
}


# the same benchmarks on PostgreSQL: figure names, then the function (see bench.pg_bench)
PG_BENCHMARKS: dict[str, tuple[tuple[str, ...], Callable[[Run], list[Figure]]]] = {
    "store": (
        (
            "store_write_ms_{size}",
            "store_write_raw_pg_ms_{size}",
            "store_write_vs_raw_pg",
            "store_read_ms_{size}",
            "pg_copy_s_{size}",
        ),
        _pg_store,
    ),
    "status": (BENCHMARKS["status"][0], _pg_status),
    "dashboard": (BENCHMARKS["dashboard"][0], _pg_dashboard),
    "integrity": (BENCHMARKS["integrity"][0], _pg_integrity),
    "log": BENCHMARKS["log"],
    "pdf": BENCHMARKS["pdf"],
    "app": BENCHMARKS["app"],
}


def table_of(run: Run) -> dict:
    return PG_BENCHMARKS if run.pg is not None else BENCHMARKS


def figure_names(benchmark: str, run: Run) -> list[str]:
    from bench.log_bench import rows_label

    names = table_of(run)[benchmark][0]
    return [n.format(size=run.size, small=run.small, rows=rows_label(run.log_rows)) for n in names]


def run_benchmark(benchmark: str, run: Run) -> list[Figure]:
    """The benchmark's figures; any it did not produce come back as not measured, with the reason."""
    began = time.perf_counter()
    print(f"[bench] {benchmark} at {run.size} ...", file=sys.stderr, flush=True)
    try:
        figures, reason = table_of(run)[benchmark][1](run), "the benchmark did not produce it"
    except Exception as exc:  # a benchmark that fails must not hide the others' figures
        traceback.print_exc(file=sys.stderr)
        figures, reason = [], f"{type(exc).__name__}: {exc}"
    print(
        f"[bench] {benchmark} done in {time.perf_counter() - began:.0f} s",
        file=sys.stderr,
        flush=True,
    )
    produced = {f.name for f in figures}
    missing = [
        Figure(n, None, not_measured=reason)
        for n in figure_names(benchmark, run)
        if n not in produced
    ]
    return figures + missing


def selected(only: list[str] | None, run: Run) -> list[str]:
    """Benchmarks named by ``--only`` (a benchmark's name or one of its figures'), else all."""
    if not only:
        return list(BENCHMARKS)
    chosen = [b for b in BENCHMARKS if b in only or set(only) & set(figure_names(b, run))]
    unknown = [
        n
        for n in only
        if n not in BENCHMARKS and not any(n in figure_names(b, run) for b in BENCHMARKS)
    ]
    if unknown:
        raise SystemExit(
            f"unknown benchmark or figure: {', '.join(unknown)} (benchmarks: {', '.join(BENCHMARKS)})"
        )
    return chosen


def machine() -> dict:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        line.split()[1]
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "memory_gb": round(int(memory) / 1024**2, 1),
        "python": platform.python_version(),
        "commit": _commit(),
    }


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
    )
    return done.stdout.strip()


def table(figures: list[Figure]) -> str:
    rows = [("figure", "value", "target", "result")]
    for f in figures:
        value = f"{f.value:.4g} {f.unit}".strip() if f.value is not None else "not measured"
        target = f"<= {f.target:g} {f.unit}".strip() if f.target is not None else "—"
        result = {True: "pass", False: "FAIL", None: ""}[f.passed]
        rows.append(
            (
                f.name,
                value,
                target,
                result + (f"  ({f.note or f.not_measured})" if f.note or f.not_measured else ""),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(
        f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c:>{widths[2]}}  {d}" for a, b, c, d in rows
    )


def report(figures: list[Figure], run: Run, seconds: float) -> dict:
    return {
        "backend": "postgres" if run.pg is not None else "folder",
        "size": run.size,
        "quick": run.quick,
        "seconds": round(seconds, 1),
        "machine": machine(),
        "figures": {f.name: f.to_json() for f in figures},
    }


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=[s for s in SIZES if s in SMALLER], default="L")
    parser.add_argument(
        "--only", nargs="+", metavar="NAME", help=f"benchmarks ({', '.join(BENCHMARKS)}) or figures"
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object instead of the table"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: few repetitions, 100,000-row log"
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="generated data and scratch (bench/out)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="write cProfile top functions to <out>/profiles"
    )
    parser.add_argument(
        "--backend",
        choices=["folder", "postgres"],
        default="folder",
        help="where the store keeps records (postgres: a temporary server, or --pg-url)",
    )
    parser.add_argument(
        "--pg-url",
        help="postgresql://… of a server's maintenance database where the bench may create databases",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(
        tempfile.mkdtemp(prefix=".work-", dir=args.out)
    )  # same file system: working copies hard-link
    pg = None
    if args.backend == "postgres":
        from bench.pg_bench import Server

        pg = Server(args.pg_url)
    run = Run(
        args.size,
        args.quick,
        args.out.resolve(),
        work,
        args.out / "profiles" if args.profile else None,
        pg,
    )
    began = time.perf_counter()
    try:
        figures = [f for b in selected(args.only, run) for f in run_benchmark(b, run)]
    finally:
        if pg is not None:
            pg.close()
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(report(figures, run, time.perf_counter() - began), ensure_ascii=False))
    else:
        print(table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
