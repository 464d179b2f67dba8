"""The storage contract: what the services may ask of a store, whatever keeps the records.

This is the data layer's one extension point (like TinyDB's ``Storage``): the
folder store (:class:`tracker.storage.store.Store`, also in memory) implements
it, and so must any other backend.  ``tests/storage`` runs one suite over
every backend.  Records are the frozen dataclasses of :mod:`tracker.domain`
registered in :mod:`tracker.storage.registry`; callers ask by type and by
vendor, agency or audit, never by partition or file.

Guarantees every backend gives:

* a change is acknowledged (the call returns) only once it is durable in the
  activity log with the record's document after the change; a call that raises
  changed nothing;
* after a change is acknowledged in one process, the next read in any process
  sees it;
* an operating-system failure (full disk, no permission, read-only, I/O error)
  is raised as :class:`~tracker.core.errors.StoreError` with a message a
  person can act on; damage or tampering found in the stored data as
  :class:`~tracker.core.errors.IntegrityError`, and nothing is read or written
  until an operator acts.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from contextlib import AbstractContextManager

from tracker.domain.facts import Facts


class RecordStore(ABC):
    """Thread-safe, process-safe access to the records of one installation."""

    log: object
    """The activity log: ``head()``, ``entries()``, ``raw_lines()``, ``verify()``, ``holds(hash)``."""

    memory: bool
    """True for a store that keeps nothing once the process ends (tests)."""

    # --- reading -------------------------------------------------------------

    @abstractmethod
    def get(self, cls: type, record_id: str):
        """The record of type ``cls`` with ``record_id``, or ``None``."""

    def require(self, cls: type, record_id: str):
        """Like :meth:`get` but raises :class:`~tracker.core.errors.NotFound`."""
        from tracker.core.errors import NotFound

        record = self.get(cls, record_id)
        if record is None:
            raise NotFound(f"找不到 {record_id}", f"no {cls.__name__} with id {record_id}")
        return record

    @abstractmethod
    def all(
        self,
        cls: type,
        *,
        vendor: str | None = None,
        agency: str | None = None,
        audit: str | None = None,
    ) -> list:
        """Every record of ``cls``; only one vendor's, agency's (or one audit's, with ``agency``).

        ``None`` means no filter.  Raises ValueError when the collection is not
        kept by what was asked (e.g. vendors by agency).  The list is new; the
        records in it are shared and immutable.
        """

    @abstractmethod
    def facts(self) -> Facts:
        """A snapshot of everything the status engine needs."""

    @abstractmethod
    def position(self) -> tuple:
        """A value that changes with every acknowledged change (caches key on it)."""

    @abstractmethod
    def log_intact(self) -> bool:
        """Whether the activity log verified from the last verified position to its end (7.1).

        A full verification is :meth:`~tracker.activitylog.log.ActivityLog.verify`.
        """

    @abstractmethod
    def recoveries(self) -> list[dict]:
        """Repairs the store made by itself lately (a torn line cut, a table rebuilt), newest last.

        Each is ``{"at", "action", "details"}``, also in the activity log; shown
        to the IT office and by ``status``.
        """

    # --- writing -------------------------------------------------------------

    @abstractmethod
    def put_many(self, records: Iterable, *, actor: str, action: str) -> None:
        """Insert or replace ``records`` as one change: one log line each, all or none.

        A record listed twice keeps its last version.
        """

    def put(self, record, *, actor: str, action: str):
        """Insert or replace ``record`` and log the change with its before and after; returns it."""
        self.put_many([record], actor=actor, action=action)
        return record

    @abstractmethod
    def delete(self, cls: type, record_id: str, *, actor: str, action: str) -> None:
        """Remove one record (callers enforce retention rules first); NotFound when absent."""

    @abstractmethod
    def record_event(self, *, actor: str, action: str, details: dict | None = None) -> dict:
        """Log something that changes no record (a sign-in, an export); returns the line."""

    @abstractmethod
    def locked(self) -> AbstractContextManager:
        """Hold the store's write lock (re-entrant) for a read-decide-write sequence.

        Inside, reads see every acknowledged change and no other writer can
        interleave.  Raises StoreError when another process holds it too long.
        """

    # --- the folder's own settings ---------------------------------------------

    @property
    @abstractmethod
    def meta(self) -> dict:
        """A copy of the store's settings (``schema``, ``demo``…)."""

    @abstractmethod
    def set_meta(self, **values) -> None:
        """Change settings in :attr:`meta` (durably)."""
