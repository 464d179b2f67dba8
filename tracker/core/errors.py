"""Domain exceptions.

Raised deep in the services and turned into a one-line message at the edge (the
CLI prints it, a page shows it).  Every message exists in zh-TW and English.
A message never carries a national ID: every ID-shaped number in it is masked
when the error is made (a refused import may quote a record it could not read).
"""

from __future__ import annotations

import errno

from tracker.core.idnumbers import mask_ids_in_text


class TrackerError(Exception):
    """Base of every error this package raises on purpose.

    ``message_zh`` is shown to people on screen; ``message_en`` is for maintainers
    and logs.  ``str(error)`` gives both, zh-TW first.  Both are masked with
    :func:`tracker.core.idnumbers.mask_ids_in_text`.
    """

    def __init__(self, message_zh: str, message_en: str | None = None):
        message_zh = mask_ids_in_text(message_zh)
        message_en = mask_ids_in_text(message_en)
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


class IntegrityError(StoreError):
    """The data folder no longer matches its activity log (damage or tampering).

    Nothing is read or written until an operator acts: the message names the
    problem and the command to run.  Never raised for a crash the store can
    repair by itself (a torn last line, an interrupted write).
    """


def os_failure(exc: OSError, what_zh: str, what_en: str) -> StoreError:
    """A StoreError for an operating-system error, in words a person can act on.

    ``what_*`` says what was being done ("寫入操作日誌" / "writing the activity
    log").  The caller has already undone its partial work.
    """
    reason = _OS_REASONS.get(exc.errno)
    zh, en = reason if reason else ("系統錯誤", exc.strerror or type(exc).__name__)
    return StoreError(
        f"{what_zh}失敗：{zh}；資料未變更", f"{what_en} failed: {en}; nothing was changed"
    )


_OS_REASONS = {
    errno.ENOSPC: (
        "磁碟空間不足，請清出空間後再試",
        "the disk is full; free some space and try again",
    ),
    errno.EACCES: (
        "沒有寫入權限，請洽系統管理者",
        "permission denied; ask the system administrator",
    ),
    errno.EPERM: (
        "沒有寫入權限，請洽系統管理者",
        "operation not permitted; ask the system administrator",
    ),
    errno.EROFS: (
        "檔案系統為唯讀，請洽系統管理者",
        "the file system is read-only; ask the administrator",
    ),
    errno.EIO: (
        "磁碟讀寫錯誤，請洽系統管理者",
        "an I/O error on the disk; ask the system administrator",
    ),
    errno.EDQUOT: (
        "超過磁碟配額，請洽系統管理者",
        "the disk quota is exceeded; ask the administrator",
    ),
}
