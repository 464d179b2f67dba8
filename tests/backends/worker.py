"""A writer process of the backend tests: ``python -m tests.backends.worker bump THREADS TIMES NAME``.

Opens the store the environment names (``TRACKER_DATABASE_URL`` or
``TRACKER_DATA_DIR``), then THREADS threads each add one to the shared
counter (vendor ``counter``) TIMES times, each a read-decide-write under
``store.locked()``.  Exits 0 when every update returned.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import replace

from tracker.core.config import Settings
from tracker.domain.vendors import Vendor
from tracker.storage.backend import open_store


def bump(store, actor: str) -> None:
    """Add one to the shared counter, reading it under the lock."""
    with store.locked():
        counter = store.require(Vendor, "counter")
        store.put(
            replace(counter, contact=str(int(counter.contact) + 1)), actor=actor, action="bump"
        )


def main(threads: int, times: int, name: str) -> int:
    store = open_store(Settings.from_env())
    failures: list[BaseException] = []

    def work(actor: str) -> None:
        try:
            for _ in range(times):
                bump(store, actor)
        except BaseException as exc:  # reported below, so the test sees why
            failures.append(exc)

    workers = [threading.Thread(target=work, args=(f"{name}-t{n}",)) for n in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    for exc in failures:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))
