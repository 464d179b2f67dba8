"""The durable path of redacted fields: values the activity log shows only as a digest.

A field a collection redacts (a password hash) reaches the log as
``redacted:<12 hex digits>``, so the log alone cannot rebuild it.  Before the
log line is appended, the value is appended to ``secrets.jsonl`` (fsynced)
under its collection, record, field and that digest; replaying the log
(opening, catching up, a rebuild) takes the value from here.  A value written
for a change that then failed is never referred to by any log line, and does
no harm.  The file is readable by the service account only (0600).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import orjson

from tracker.core.fileio import write_all
from tracker.storage.registry import Collection, redacted

SECRETS_NAME = "secrets.jsonl"
PREFIX = "redacted:"


class Secrets:
    """The redacted values of one data folder (``root`` ``None``: kept in memory)."""

    def __init__(self, root: Path | None):
        self.path = Path(root) / SECRETS_NAME if root is not None else None
        self._values: dict[tuple[str, str, str, str], str] = {}
        self._read_to = 0

    def lines_for(self, coll: Collection, record_id: str, doc: dict) -> list[bytes]:
        """The lines that keep ``doc``'s redacted values (none for most collections)."""
        if not coll.redact:
            return []
        shown = redacted(coll, doc)
        return [
            orjson.dumps(
                {
                    "collection": coll.name,
                    "record": record_id,
                    "field": name,
                    "digest": shown[name],
                    "value": doc[name],
                }
            )
            + b"\n"
            for name in sorted(coll.redact & doc.keys())
            if doc[name]
        ]

    def append(self, lines: list[bytes]) -> None:
        """Write ``lines`` durably before the log line that refers to them (raises OSError)."""
        if not lines:
            return
        if self.path is None:
            for line in lines:
                self._remember(orjson.loads(line))
            return
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            start = os.fstat(fd).st_size
            try:
                write_all(fd, b"".join(lines))
                os.fsync(fd)
            except BaseException:
                with contextlib.suppress(OSError):  # else the partial line is skipped when read
                    os.ftruncate(fd, start)
                raise
        finally:
            os.close(fd)

    def resolve(
        self, coll: Collection, record_id: str, doc: dict | None
    ) -> tuple[dict | None, list]:
        """``doc`` with its redacted values put back, and the fields that could not be."""
        if doc is None or not coll.redact:
            return doc, []
        out, missing = dict(doc), []
        for name in coll.redact & doc.keys():
            shown = doc[name]
            if isinstance(shown, str) and shown.startswith(PREFIX):
                value = self._lookup((coll.name, record_id, name, shown))
                if value is None:
                    missing.append(name)
                else:
                    out[name] = value
        return out, missing

    def _lookup(self, key: tuple[str, str, str, str]) -> str | None:
        if key not in self._values:
            self._read_new()
        return self._values.get(key)

    def _read_new(self) -> None:
        if self.path is None:
            return
        try:
            with self.path.open("rb") as fh:
                fh.seek(self._read_to)
                data = fh.read()
        except FileNotFoundError:
            return
        whole = data[: data.rfind(b"\n") + 1]
        for raw in whole.splitlines():
            try:
                self._remember(orjson.loads(raw))
            except (orjson.JSONDecodeError, KeyError, TypeError):
                continue  # a line cut by a failed write
        self._read_to += len(whole)

    def _remember(self, line: dict) -> None:
        key = (line["collection"], line["record"], line["field"], line["digest"])
        self._values[key] = line["value"]
