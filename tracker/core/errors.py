"""Domain exceptions.

Raised deep in the services and turned into a one-line message at the edge (the
CLI prints it, a page shows it).  Every message exists in zh-TW and English.
"""

from __future__ import annotations


class TrackerError(Exception):
    """Base of every error this package raises on purpose.

    ``message_zh`` is shown to people on screen; ``message_en`` is for maintainers
    and logs.  ``str(error)`` gives both, zh-TW first.
    """

    def __init__(self, message_zh: str, message_en: str | None = None):
        self.message_zh = message_zh
        self.message_en = message_en or message_zh
        super().__init__(f"{message_zh} ({self.message_en})" if message_en else message_zh)


class InvalidInput(TrackerError):
    """Input from outside (a form field, a file, a command-line argument) is not acceptable.

    Nothing was written when this is raised.
    """


class NotFound(TrackerError):
    """A record asked for by id does not exist (or is not visible to the caller)."""


class NotAllowed(TrackerError):
    """The caller's role or the record's state does not permit the action."""


class CatalogueError(TrackerError):
    """The obligation catalogue in ``checklists/`` is malformed."""


class StoreError(TrackerError):
    """The data folder cannot be read or written safely."""


class ConflictError(StoreError):
    """Another process changed a record after this one read it; nothing was written.

    Raised by a store shared by several processes (PostgreSQL) instead of
    overwriting the other change: the person reloads and tries again.
    """
