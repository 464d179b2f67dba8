"""The activity-log entry of a change, as every store writes it (before the chain fields are added)."""

from __future__ import annotations

from tracker.core import clock


def change_entry(actor, action, collection, record_id, before, after) -> dict:
    """``at`` (now, to the second), who, what, which record, and its document before and after."""
    return {
        "at": clock.now().isoformat(timespec="seconds"),
        "actor": actor,
        "action": action,
        "collection": collection,
        "record": record_id,
        "before": before,
        "after": after,
    }
