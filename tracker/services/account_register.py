"""The NIA account register's common ground: states, the step history, reading, guards.

Every use case of the account modules keeps an :class:`AccountStep`
beside the account (:func:`new_step`) and refuses with :class:`NotAllowed` a
step the account's state does not allow (:func:`require_state`,
:func:`require_open`).
"""

from __future__ import annotations

from datetime import date

from tracker.core import clock
from tracker.core.errors import InvalidInput, NotAllowed
from tracker.documents.labels import ACCOUNT_STATE
from tracker.domain.accounts import OPEN_STATES, AccountStep, NiaAccount
from tracker.storage.registry import new_id
from tracker.storage.store import Store

# --- reading -------------------------------------------------------------------


def list_accounts(store: Store, agency_id: str | None = None) -> list[NiaAccount]:
    """Accounts of one agency (or all), by agency, unit and holder."""
    return sorted(
        store.all(NiaAccount, agency=agency_id), key=lambda a: (a.agency_id, a.unit, a.holder, a.id)
    )


def account_steps(store: Store, account_id: str) -> list[AccountStep]:
    return history_of(store, AccountStep, account_id)


def history_of(store: Store, cls: type, account_id: str) -> list:
    """The account's records of ``cls`` (steps or changes, by ``account_id``), oldest first."""
    account = store.require(NiaAccount, account_id)
    records = store.all(cls, agency=account.agency_id)
    return sorted((r for r in records if r.account_id == account_id), key=lambda r: r.at)


# --- guards and the step record ------------------------------------------------


def require_state(store: Store, account_id: str, state: str) -> NiaAccount:
    """The account, if it is in ``state``; raises NotAllowed otherwise."""
    account = store.require(NiaAccount, account_id)
    if account.state != state:
        raise NotAllowed(
            f"帳號目前為「{ACCOUNT_STATE.get(account.state, account.state)}」，無法進行此步驟",
            f"the account is {account.state}, this step needs {state}",
        )
    return account


def require_open(store: Store, account_id: str) -> NiaAccount:
    """The account, unless it was rejected or cancelled (then NotAllowed)."""
    account = store.require(NiaAccount, account_id)
    if account.state not in OPEN_STATES:
        raise NotAllowed("帳號已註銷或已退件", f"the account is {account.state}")
    return account


def new_step(
    account: NiaAccount,
    step: str,
    actor: str,
    *,
    by: str = "",
    on: date | None = None,
    decision: str = "",
    reason: str = "",
) -> AccountStep:
    """A new step of ``account`` recorded now by ``actor`` (``by`` defaults to ``actor``, ``on`` to today)."""
    return AccountStep(
        id=new_id("st"),
        agency_id=account.agency_id,
        account_id=account.id,
        step=step,
        actor=actor,
        at=clock.now(),
        by=by or actor,
        on=on or clock.today(),
        decision=decision,
        reason=reason,
    )


def refuse_future(day: date | None, zh: str, en: str) -> None:
    """Raise InvalidInput when ``day`` (``zh``/``en``: its name) is after today; ``None`` passes."""
    if day is not None and day > clock.today():
        raise InvalidInput(f"{zh}不得晚於今天", f"the {en} is in the future")
