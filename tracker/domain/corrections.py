"""Corrections (更正): a logged change that sets right an earlier action, never an erasure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Correction:
    """One correction of an earlier action on one record, with the reason a person gave.

    ``kind`` names what was corrected (``departure``, ``review``, ``audit_closing``);
    ``collection`` and ``record_id`` the record it changed; ``summary`` says in zh-TW what
    changed (``離職日 115/12/01 → 在職``).  The record's before and after are in the
    activity log line written with this correction.
    """

    id: str
    kind: str
    collection: str
    record_id: str
    reason: str
    summary: str
    actor: str
    at: datetime
