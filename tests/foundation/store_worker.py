"""A writer process for the store's crash and concurrency tests.

``python store_worker.py crash DATA`` writes vendors one by one and prints
``ack <id>`` after each write returns; ``python store_worker.py count DATA N
NAME`` increments a shared counter N times and adds N records of its own.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from tracker.core.config import Settings
from tracker.domain.vendors import Vendor
from tracker.storage.store import Store


def crash(data: Path) -> None:
    store = Store.open(Settings(data_dir=data, evidence_dir=data / "ev"))
    n = 0
    while True:
        n += 1
        record_id = f"{sys.argv[3]}-{n}"
        store.put(
            Vendor(record_id, f"廠商{n}", "04595257", "x" * (n % 50)),
            actor="worker",
            action="crash_test",
        )
        sys.stdout.write(f"ack {record_id}\n")
        sys.stdout.flush()


def count(data: Path, times: int, name: str) -> None:
    store = Store.open(Settings(data_dir=data, evidence_dir=data / "ev"))
    for n in range(times):
        bump(store, name)
        store.put(Vendor(f"{name}-{n}", name, "04595257"), actor=name, action="concurrency_test")


def bump(store: Store, actor: str) -> None:
    with store.locked():
        counter = store.get(Vendor, "counter")
        store.put(
            replace(counter, contact=str(int(counter.contact) + 1)), actor=actor, action="bump"
        )


if __name__ == "__main__":
    if sys.argv[1] == "crash":
        crash(Path(sys.argv[2]))
    else:
        count(Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
