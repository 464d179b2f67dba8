"""One transaction per use case: files written for a change commit with its log line, or go.

An upload writes an evidence file; a query-log import writes the original
file, a Parquet file and a manifest entry.  None of them may outlive a change
that was never committed, and none may be missing once it was.  Inside
``with Transaction(store) as tx`` (which holds the store's lock):

1. :meth:`Transaction.add_blob` / :meth:`Transaction.add_import` first write an
   *intent* (``<data>/pending/<id>.json``, fsynced) naming the files and
   whether each is new, then write the files;
2. the caller commits its records (``store.put_many``): the log line is the commit;
3. on leaving, staged imports are listed in their manifests and the intent is
   removed.  If the block raised, the new files are removed again.

After a crash the intent is still there.  :func:`recover` (run whenever a
process takes the store's lock) decides by the log: when a line after the
intent's position names a staged file's SHA-256 the change was committed, and
a staged import is listed; otherwise the new files are removed.  Either way
the intent goes and the repair is logged.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson

from tracker.core.errors import os_failure
from tracker.core.fileio import atomic_write
from tracker.querylog.store import ImportRecord, LogStore
from tracker.storage.blobs import BlobStore

PENDING = "pending"


def pending_folder(store) -> Path:
    return store.root / PENDING


class Transaction:
    """Files staged for one change; use as a context manager around the commit."""

    def __init__(self, store):
        self.store = store
        self.blobs: list[dict] = []
        self.imports: list[dict] = []
        self.path: Path | None = None
        self._lock = store.locked()

    def __enter__(self) -> Transaction:
        self._lock.__enter__()
        if not self.store.memory:
            self.position = self.store.log_end()  # the log's end: what was written after it commits
            self.path = (
                pending_folder(self.store)
                / f"{self.position['seq']}-{os.getpid()}-{os.urandom(4).hex()}.json"
            )
        return self

    def add_blob(self, blobs: BlobStore, data: bytes) -> str:
        """Stage an evidence file; returns its SHA-256 (the record refers to it)."""
        import hashlib

        sha = hashlib.sha256(data).hexdigest()
        self.blobs.append(
            {"root": str(blobs.root), "sha256": sha, "created": not blobs.exists(sha)}
        )
        self._write_intent()
        blobs.put(data)
        return sha

    def add_import(self, logs: LogStore, log, agency_id: str, actor: str, now) -> ImportRecord:
        """Stage a query-log import's Parquet file; it is listed when the transaction ends."""
        with logs.locked():
            record, exists = logs.prepare(log, agency_id, actor, now)
            self.imports.append(
                {"root": str(logs.root), "record": record.to_json(), "created": not exists}
            )
            self._write_intent()  # before the file: a crash must never leave a file it does not name
            if not exists:
                logs.write_rows(log, agency_id)
        return record

    def _write_intent(self) -> None:
        if self.path is None:
            return
        body = {"position": self.position, "blobs": self.blobs, "imports": self.imports}
        try:
            atomic_write(self.path, orjson.dumps(body))
        except OSError as exc:
            raise os_failure(exc, "寫入交易紀錄", "writing the transaction's intent") from exc

    def __exit__(self, kind, exc, tb):
        try:
            if kind is None:
                _publish(self.imports)
            else:
                _undo(self.blobs, self.imports)
            if self.path is not None:
                self.path.unlink(missing_ok=True)
        except OSError:
            if kind is not None:
                raise
            # committed: the intent stays and recover() lists the import at the next lock
        finally:
            self._lock.__exit__(kind, exc, tb)
        return False


def recover(store) -> None:
    """Finish or undo the transactions a crashed process left (the caller holds the lock)."""
    folder = pending_folder(store)
    try:
        names = sorted(p for p in folder.iterdir() if p.suffix == ".json")
    except FileNotFoundError:
        return
    for path in names:
        try:
            intent = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            path.unlink(missing_ok=True)  # an intent cut by the crash: nothing was staged after it
            continue
        written = store.log_since(intent.get("position", {}))
        blobs, imports = intent.get("blobs", []), intent.get("imports", [])
        shas = {b["sha256"] for b in blobs} | {i["record"]["sha256"] for i in imports}
        committed = bool(shas) and all(sha.encode() in written for sha in shas)
        if committed:
            _publish(imports)
        else:
            _undo(blobs, imports)
        path.unlink(missing_ok=True)
        action = "transaction_completed" if committed else "transaction_rolled_back"
        store.note_recovery(action, {"files": sorted(shas), "intent": path.name})


def _publish(imports: list[dict]) -> None:
    for item in imports:
        LogStore(Path(item["root"])).publish(ImportRecord.from_json(item["record"]))


def _undo(blobs: list[dict], imports: list[dict]) -> None:
    for item in imports:
        if item.get("created"):
            record = item["record"]
            logs = LogStore(Path(item["root"]))
            with logs.locked():
                logs.unstage(record["agency_id"], record["sha256"])
    for item in blobs:
        if item.get("created"):
            BlobStore(Path(item["root"])).remove(item["sha256"])
