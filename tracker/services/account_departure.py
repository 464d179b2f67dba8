"""The holder of an NIA account leaving (5.3) and the account's cancellation (5.3, 5.5)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from tracker.compliance.catalogue import Catalogue
from tracker.compliance.loader import default_catalogue
from tracker.core.errors import InvalidInput, NotAllowed
from tracker.domain.accounts import NiaAccount
from tracker.services.account_register import new_step, refuse_future, require_open
from tracker.services.vendors import clean_text
from tracker.storage.store import Store

LEFT_REASONS = ("resigned", "left", "suspended", "transferred")


def record_holder_left(
    store: Store,
    actor: str,
    account_id: str,
    *,
    left_on: date,
    reason: str,
    catalogue: Catalogue | None = None,
) -> NiaAccount:
    """5.3: the holder resigned, left, was suspended or transferred on ``left_on``.

    Starts the removal deadline: ``removal_due`` is ``left_on`` plus the
    catalogue's days for 5.3 (the regulation sets no number; see its reading).
    """
    if reason not in LEFT_REASONS:
        raise InvalidInput(
            "異動原因須為辭職、離職、停職或職務調動",
            f"reason must be one of {', '.join(LEFT_REASONS)}",
        )
    days = (catalogue or default_catalogue()).get("5.3").timing.days
    with store.locked():
        account = require_open(store, account_id)
        if account.holder_left_on is not None:
            raise NotAllowed("此帳號已登錄使用者異動", "the holder's departure is already recorded")
        changed = replace(
            account,
            holder_left_on=left_on,
            left_reason=reason,
            removal_due=left_on + timedelta(days=days),
        )
        step = new_step(changed, "holder_left", actor, on=left_on, reason=reason)
        store.put_many([changed, step], actor=actor, action="nia_account_holder_left")
    return changed


def cancel_account(
    store: Store, actor: str, account_id: str, *, removed_on: date, reason: str = ""
) -> NiaAccount:
    """5.3, 5.5: the account was cancelled (註銷) on ``removed_on``; the state becomes ``cancelled``."""
    refuse_future(removed_on, "註銷日期", "cancellation date")
    reason = clean_text(reason, "註銷原因", "reason", required=False, max_len=500)
    with store.locked():
        account = require_open(store, account_id)
        if account.active_from and removed_on < account.active_from:
            raise InvalidInput(
                "註銷日期不得早於開通日期", "the cancellation is before the activation"
            )
        changed = replace(account, state="cancelled", removed_on=removed_on)
        step = new_step(changed, "cancelled", actor, on=removed_on, reason=reason)
        store.put_many([changed, step], actor=actor, action="nia_account_cancelled")
    return changed


def removal_overdue(account: NiaAccount, today: date) -> bool:
    """5.3: the holder has left, the account is not cancelled and ``removal_due`` has passed."""
    return (
        account.removed_on is None
        and account.removal_due is not None
        and today > account.removal_due
    )
