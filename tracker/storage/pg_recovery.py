"""What a PostgreSQL store repairs by itself: transactions a crashed process left in the shared folder.

The database needs no repair after a crash (a transaction commits whole or
not at all), but the files of a change do: an upload's evidence file and a
query-log import are staged in the shared data folder before their record is
committed (:mod:`tracker.storage.staging`).  A process that died in between
leaves an intent there; the next process to take the store's lock finishes or
undoes it by the log, as the folder store does.  A live process's intent is
never touched: intents are written and removed while their process holds the
store's advisory lock, and recovery takes it too.  Recovery runs at a store's
first lock and then at most once a minute, on taking the lock (a listing of the
shared ``pending/`` folder each time would cost every change a round trip to
the file server); it first removes the temporary files of interrupted writes
whose writer is gone.  Repairs are logged and kept in the store's meta for the
IT office, as the folder store keeps them.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from tracker.core import clock
from tracker.core.fileio import sweep_temporary
from tracker.storage import staging
from tracker.storage.blobs import STAGING

EVERY_S = 60.0
SHOWN_DAYS = 30


def recover_if_due(store) -> None:
    """Finish or undo crashed processes' transactions if a minute has passed; the caller holds the lock."""
    now = time.monotonic()
    if now - store._recovered_at < EVERY_S:
        return
    store._recovered_at = now
    sweep(store)
    staging.recover(store)


def sweep(store) -> int:
    """Remove temporary files of interrupted writes in the shared folders a replica writes.

    Only those whose writer is gone: a file of this host's live process, or of
    another host younger than an hour, stays (:func:`~tracker.core.fileio.sweep_temporary`).
    """
    root = store.root
    folders = [root, root / "query-logs", staging.pending_folder(store)]
    folders += [p for p in (root / "query-logs").glob("*") if p.is_dir()]
    folders.append(store.settings.evidence_dir / STAGING)
    return sum(sweep_temporary(folder) for folder in folders)


def note(store, action: str, details: dict) -> None:
    """Log a repair and keep the latest twenty in the meta (``recoveries``)."""
    line = store.record_event(actor="system", action=action, details=details)
    kept = [
        *store.meta.get("recoveries", []),
        {"at": line["at"], "action": action, "details": details},
    ]
    store.set_meta(recoveries=kept[-20:])


def recent(store) -> list[dict]:
    """The repairs of the last thirty days, newest last."""
    since = clock.now() - timedelta(days=SHOWN_DAYS)
    return [r for r in store.meta.get("recoveries", []) if _instant(r.get("at")) >= since]


def _instant(at) -> datetime:
    try:
        when = datetime.fromisoformat(at)
    except (TypeError, ValueError):
        return datetime.min.replace(tzinfo=clock.TAIPEI)
    return when if when.tzinfo else when.replace(tzinfo=clock.TAIPEI)
