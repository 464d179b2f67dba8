"""Opening a folder, checking it against its log, rebuilding its tables from the log.

* ``store_open_ms``: a fresh child process times ``Store.open`` alone (the
  head, the checkpoint, the log's tail; no table is read);
* ``store_check_s``: ``check_store`` in process: the whole log verified and
  replayed, every table read and compared record by record (the generated data
  has no evidence files, so the file comparison is left out);
* ``store_rebuild_s``: ``Store.rebuild`` on a private copy: every table of the
  size written again from the log.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from bench.generate import working_copy
from bench.timing import Figure, median, timed
from tracker.core.config import Settings
from tracker.storage.check import check_store
from tracker.storage.store import Store

ROOT = Path(__file__).resolve().parent.parent


def run(folder: Path, work: Path, size: str, reps: int) -> list[Figure]:
    opens = [_open_child(folder) for _ in range(reps)]
    store = Store.open(Settings.for_folder(folder))
    checks = []
    for _ in range(max(1, reps // 3)):
        began = time.perf_counter()
        result = check_store(store)
        checks.append(time.perf_counter() - began)
    copy = working_copy(folder, work / "rebuild")
    rebuild = timed(lambda: Store.open(copy).rebuild(actor="bench"))
    differences = len(result.differences)
    return [
        Figure(
            f"store_open_ms_{size}",
            median(opens) * 1e3,
            "ms",
            note=f"fresh process; median of {reps}",
        ),
        Figure(
            f"store_check_s_{size}",
            median(checks),
            "s",
            note=f"{result.records} records, {result.log_lines} log lines, {differences} differences",
        ),
        Figure(f"store_rebuild_s_{size}", rebuild, "s", note="every table from the log"),
    ]


def _open_child(folder: Path) -> float:
    command = [sys.executable, "-m", "bench.integrity_bench", str(folder)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)["open_s"]


if __name__ == "__main__":
    settings = Settings.for_folder(Path(sys.argv[1]))
    print(json.dumps({"open_s": timed(lambda: Store.open(settings))}))
