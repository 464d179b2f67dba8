"""Benchmark: import + 7.2 sample of a large query-log CSV against ``pandas.read_csv``.

    python bench/querylog_bench.py [--rows 1000000] [--dates iso|roc] [--runs 9]

Generates a realistic export (chronological times in ISO or ROC form, Chinese
query types and purposes, ID-shaped subject numbers, some blank purposes) in
``bench/out/`` (git-ignored), then times, interleaved in the same process:

* ``pandas.read_csv(path)`` alone;
* ``import+sample``: ``open_export`` (every row checked, SHA-256 of the file)
  + ``filter_period`` + ``sample_size`` + ``draw_sample`` -- what
  ``python -m tracker audit sample FILE --seed N --from --to`` does, and what
  the target (import and sample within 1.5 x ``pandas.read_csv``) is about;
* ``import+sample+risk``: the same plus ``risk_picks`` -- the ``--risk``
  option, which the account manager asks for on purpose; reported beside,
  not part of the target.

It reports median and best wall time and CPU time (all threads) of each, their
ratios to pandas (target <= 1.5 for the wall median of ``import+sample``; the
machine has 2 cores, pandas parses on one, we use both), and the peak resident
memory of each path, each measured in a fresh child process.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker.querylog.reader import open_export  # noqa: E402
from tracker.querylog.sampling import draw_sample, filter_period, risk_picks, sample_size  # noqa: E402

QUERY_TYPES = ["入出境資料查詢", "居留資料查詢", "外來人口查詢", "證照資料查詢", "戶籍資料查詢"]
PURPOSES = ["社會救助訪視", "兒少保護個案", "", "身心障礙資格審查", "長期照顧評估"]
LETTERS = np.array(list("ABCDEFGHJKLMNPQRSTUVXYWZ"))
PERIOD = (date(2025, 1, 1), date(2025, 6, 30))


def generate_csv(path: Path, rows: int, dates: str = "roc", seed: int = 1) -> Path:
    """Write a ``rows``-line export with ``dates`` in ``iso`` or ``roc`` form; vectorised, seconds."""
    rng = np.random.default_rng(seed)
    seconds = np.sort(rng.integers(0, 181 * 86400, rows))
    # most queries in office hours: fold 80 % of the times into 08:00-18:00
    day, second = seconds // 86400, seconds % 86400
    office = rng.random(rows) < 0.8
    second = np.where(office, 8 * 3600 + second % (10 * 3600), second)
    times = pd.Series(np.datetime64("2025-01-01T00:00:00") + (day * 86400 + second).astype("m8[s]"))
    times = times.sort_values(ignore_index=True)
    text = times.dt.strftime("%Y-%m-%d %H:%M:%S")
    if dates == "roc":
        text = (times.dt.year - 1911).astype(str) + times.dt.strftime("/%m/%d %H:%M:%S")
    ids = pd.Series(LETTERS[rng.integers(0, 24, rows)]).str.cat(
        pd.Series(rng.integers(100_000_000, 299_999_999, rows)).astype(str)
    )
    accounts = np.array([f"user{i:03d}" for i in range(200)])
    addresses = np.array([f"10.20.{i // 256}.{i % 256}" for i in range(300)])
    columns = {
        "查詢時間": text,
        "使用者帳號": accounts[rng.zipf(1.5, rows) % 200],  # a few accounts query most
        "查詢項目": np.array(QUERY_TYPES)[rng.integers(0, len(QUERY_TYPES), rows)],
        "查詢對象證號": ids,
        "查詢事由": np.array(PURPOSES)[rng.integers(0, len(PURPOSES), rows)],
        "來源IP": addresses[rng.integers(0, 300, rows)],
    }
    frame = pd.DataFrame(columns)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


def library_versions() -> str:
    """``pandas 2.3.2, pyarrow 20.0.0``: pandas 3 reads CSV into Arrow strings several times
    faster than pandas 2, so the ratio means little without them."""
    import pyarrow

    return f"pandas {pd.__version__}, pyarrow {pyarrow.__version__}"


def import_and_sample(path: Path, seed: int = 7, risk: bool = False) -> int:
    """The measured pipeline (with ``risk``: plus risk picks); returns the number of rows picked."""
    log = filter_period(open_export(path), *PERIOD)
    size = sample_size(log.population)
    rows = draw_sample(log.population, seed, size)
    if not risk:
        return len(rows)
    picks = risk_picks(log, seed=seed, exclude=rows, departed_accounts={"user150"})
    return len(rows) + len(picks)


def time_side_by_side(path: Path, runs: int) -> dict[str, dict[str, list[float]]]:
    """Wall and CPU seconds (all threads) of each path ``runs`` times, alternating
    which goes first, after one warm-up each.  CPU time says more than wall time
    on a machine shared with other work."""
    paths = {
        "pandas.read_csv": lambda: pd.read_csv(path),
        "import+sample": lambda: import_and_sample(path),
        "import+sample+risk": lambda: import_and_sample(path, risk=True),
    }
    for work in paths.values():
        work()
    times = {name: {"wall": [], "cpu": []} for name in paths}
    for run in range(runs):
        for name in list(paths)[:: 1 if run % 2 == 0 else -1]:
            wall, cpu = time.perf_counter(), time.process_time()
            paths[name]()
            times[name]["cpu"].append(time.process_time() - cpu)
            times[name]["wall"].append(time.perf_counter() - wall)
    return times


_CHILD = """
import sys, json
sys.path.insert(0, {root!r}); sys.path.insert(0, {bench!r})
import pandas as pd, querylog_bench as b
base = b.high_water_mb()
{call}
print(json.dumps({{"base_mb": base, "peak_mb": b.high_water_mb()}}))
"""


def high_water_mb() -> float:
    """Peak RSS of this process (Linux ``VmHWM``).  Not ``ru_maxrss``: on exec
    Linux seeds it with the parent's peak, so a child would report ours."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource  # not Linux: the best that is available

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_memory(path: Path, what: str) -> dict[str, float]:
    """Peak RSS (MB) of a fresh child running one path, and its RSS after the imports alone."""
    call = "pd.read_csv(%r)" if what == "pandas" else "b.import_and_sample(b.Path(%r))"
    code = _CHILD.format(root=str(ROOT), bench=str(ROOT / "bench"), call=call % str(path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dates", choices=("iso", "roc"), default="roc")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)
    path = ROOT / "bench" / "out" / f"querylog-{args.rows}-{args.dates}.csv"
    if not path.exists():
        generate_csv(path, args.rows, args.dates)
    times = time_side_by_side(path, args.runs)
    theirs = times["pandas.read_csv"]
    for name, kinds in times.items():
        wall, cpu = kinds["wall"], kinds["cpu"]
        print(
            f"{name:19s} wall median {statistics.median(wall):.3f}s best {min(wall):.3f}s"
            f"   cpu median {statistics.median(cpu):.3f}s best {min(cpu):.3f}s"
            + ("" if kinds is theirs else f"   ratio {_ratios(kinds, theirs)}")
        )
    print(f"target: import+sample wall median ratio <= 1.5 ({library_versions()})")
    for what in ("pandas", "ours"):
        memory = peak_memory(path, what)
        print(
            f"peak RSS {what:6s} {memory['peak_mb']:.0f} MB (after imports {memory['base_mb']:.0f} MB)"
        )
    print(f"file {path.relative_to(ROOT)}: {path.stat().st_size / 1e6:.1f} MB, {args.rows} rows")
    return 0


def _ratios(ours: dict[str, list[float]], theirs: dict[str, list[float]]) -> str:
    def median(kind: str, series: dict[str, list[float]]) -> float:
        return statistics.median(series[kind])

    return (
        f"wall median {median('wall', ours) / median('wall', theirs):.2f}"
        f" best {min(ours['wall']) / min(theirs['wall']):.2f}"
        f"  cpu median {median('cpu', ours) / median('cpu', theirs):.2f}"
    )


if __name__ == "__main__":
    sys.exit(main())
