"""A process that writes through the store, for the crash and concurrency tests.

``python worker.py MODE DATA EVIDENCE NAME [N]`` (on PostgreSQL when
``TRACKER_DATABASE_URL`` is set) — modes:

* ``vendors``: put vendors ``NAME-1``, ``NAME-2``… one by one, printing ``ack <id>``
  after each write returns (until killed, or N of them);
* ``count``: N times, increment the shared counter vendor and add a vendor of its own;
* ``upload``: upload a fresh pledge PDF for staff ``s1`` N times (``ack <evidence id> <sha256>``);
* ``review``: approve or reject (alternately) every submitted evidence (``ack <id> <state>``);
* ``import``: import a fresh query-log export for agency ``ag`` N times (``ack <sha256>``);
* ``watch``: print ``seen <id>`` each time a vendor named in stdin lines appears.

Each ``ack`` is printed only after the call returned: a line on stdout is an
acknowledged change.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

from tracker.core.config import Settings
from tracker.domain.enums import ReviewState
from tracker.domain.evidence import Evidence
from tracker.domain.vendors import Vendor
from tracker.storage.backend import open_store
from tracker.storage.blobs import BlobStore
from tracker.storage.store import Store


def ack(*words) -> None:
    sys.stdout.write("ack " + " ".join(str(w) for w in words) + "\n")
    sys.stdout.flush()


def vendors(store: Store, name: str, times: int) -> None:
    n = 0
    while times <= 0 or n < times:
        n += 1
        record_id = f"{name}-{n}"
        store.put(
            Vendor(record_id, f"廠商{n}", "04595257", "x" * (n % 50)), actor=name, action="put"
        )
        ack(record_id)


def count(store: Store, name: str, times: int) -> None:
    for n in range(times):
        bump(store, name)
        store.put(Vendor(f"{name}-{n}", name, "04595257"), actor=name, action="concurrency_test")


def bump(store: Store, actor: str) -> None:
    with store.locked():
        counter = store.get(Vendor, "counter")
        store.put(
            replace(counter, contact=str(int(counter.contact) + 1)), actor=actor, action="bump"
        )


def upload(store: Store, blobs: BlobStore, name: str, times: int) -> None:
    from tests.storage.world import pledge
    from tracker.domain.enums import SubjectKind
    from tracker.services.evidence import upload_evidence

    n = 0
    while times <= 0 or n < times:
        n += 1
        record = upload_evidence(
            store,
            blobs,
            "vendor.a",
            kind="staff_pledge",
            data=pledge(f"{name}-{n}"),
            filename=f"{name}-{n}.pdf",
            subject_kind=SubjectKind.VENDOR_STAFF,
            subject_id="s1",
        )
        ack(record.id, record.sha256)


def review(store: Store) -> None:
    from tracker.services.evidence import review_evidence

    pending = [e for e in store.all(Evidence) if e.state == ReviewState.SUBMITTED]
    for n, record in enumerate(sorted(pending, key=lambda e: e.id)):
        approve = n % 2 == 0
        decided = review_evidence(
            store,
            "it.office",
            "it_office",
            record.id,
            approve=approve,
            reason="" if approve else "簽名不清",
        )
        ack(decided.id, decided.state.value)


def imports(store: Store, blobs: BlobStore, settings: Settings, name: str, times: int) -> None:
    from tests.storage.world import query_log_csv
    from tracker.services.log_imports import import_query_log, log_store

    n = 0
    while times <= 0 or n < times:
        n += 1
        record = import_query_log(
            store,
            log_store(settings),
            blobs,
            "account.admin",
            agency_id="ag",
            data=query_log_csv(f"{name}-{n}"),
            filename=f"{name}-{n}.csv",
        )
        ack(record.sha256)


def watch(store: Store) -> None:
    for line in sys.stdin:
        record_id = line.strip()
        found = store.get(Vendor, record_id)
        sys.stdout.write(f"seen {record_id} {found is not None}\n")
        sys.stdout.flush()


def main(argv: list[str]) -> None:
    mode, data, evidence, name = argv[1:5]
    times = int(argv[5]) if len(argv) > 5 else 0
    url = os.environ.get("TRACKER_DATABASE_URL") or None  # PostgreSQL, when the test runs over it
    settings = Settings(data_dir=Path(data), evidence_dir=Path(evidence), database_url=url)
    store, blobs = open_store(settings), BlobStore(Path(evidence))
    if mode == "vendors":
        vendors(store, name, times)
    elif mode == "count":
        count(store, name, times)
    elif mode == "upload":
        upload(store, blobs, name, times)
    elif mode == "review":
        review(store)
    elif mode == "import":
        imports(store, blobs, settings, name, times)
    elif mode == "watch":
        watch(store)
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv)
