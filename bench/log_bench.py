"""Query-log import and 7.2 sample against ``pandas.read_csv``: the query-log benchmark's own code.

``bench/querylog_bench.py`` (owned with ``tracker.querylog.reader``) generates the
export and times both paths interleaved in one process; its peak-memory
figures come from one fresh child process per path.  This module only calls it
and names the figures.
"""

from __future__ import annotations

from pathlib import Path

from bench import querylog_bench
from bench.generate import querylog_csv
from bench.timing import Figure, median, ratio

OURS, PANDAS = "import+sample", "pandas.read_csv"


def rows_label(rows: int) -> str:
    return f"{rows // 1_000_000}M" if rows % 1_000_000 == 0 else f"{rows // 1000}k"


def run(out: Path, rows: int, reps: int) -> list[Figure]:
    path = querylog_csv(rows, out)
    times = querylog_bench.time_side_by_side(path, reps)
    wall = {name: _series(values, "wall") for name, values in times.items()}
    cpu = {name: _series(values, "cpu") for name, values in times.items()}
    memory = {what: querylog_bench.peak_memory(path, what) for what in ("ours", "pandas")}
    label = rows_label(rows)
    versions = querylog_bench.library_versions()  # the ratio depends on pandas' version
    figures = [
        Figure(f"log_import_sample_vs_pandas_{label}", ratio(wall, OURS, PANDAS), "x", 1.5,
               note=f"wall, median of {reps}; {versions}"),
        Figure(f"log_import_sample_s_{label}", median(wall[OURS]), "s"),
        Figure(f"log_pandas_read_csv_s_{label}", median(wall[PANDAS]), "s"),
        Figure(f"log_import_peak_mb_{label}", memory["ours"]["peak_mb"], "MB",
               note=f"fresh child; {memory['ours']['base_mb']:.0f} MB after imports"),
        Figure(f"log_pandas_peak_mb_{label}", memory["pandas"]["peak_mb"], "MB",
               note=f"fresh child; {memory['pandas']['base_mb']:.0f} MB after imports"),
    ]  # fmt: skip
    if cpu[OURS]:
        figures.append(Figure(f"log_import_sample_cpu_vs_pandas_{label}", ratio(cpu, OURS, PANDAS), "x",
                              note="CPU time of all threads, median"))  # fmt: skip
    return figures


def _series(values: list[float] | dict[str, list[float]], kind: str) -> list[float]:
    """One series of the query-log benchmark's times: it gives a list, or wall and CPU lists."""
    if isinstance(values, dict):
        return values.get(kind, [])
    return values if kind == "wall" else []
