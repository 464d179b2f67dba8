"""Signing in with a password, the lock-out, and the 15-minute idle rule (point 6.3).

Rules this module holds:

* five failed sign-ins in a row lock the name for :data:`LOCK_PERIOD`; while
  it is locked even the right password is refused;
* an unknown name, a wrong password and a locked name cannot be told apart
  from outside: every attempt makes exactly one Argon2id check (against a
  dummy hash where there is no account or the account is locked), and a name
  that is no account locks after five failures too, with the same message;
* every sign-in, sign-out, failure and lock goes to the activity log; the
  password never does, and a typed name is logged only if it could be a
  username (ID-shaped names masked).

Anyone can still lock a real name for 15 minutes by failing five times: the
reverse proxy limits how often one address may try (README, deployment
notes), and an administrator can ``users unlock`` it.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import replace
from datetime import datetime, timedelta

from tracker.core import clock
from tracker.core.dates import roc_short
from tracker.core.errors import NotAllowed
from tracker.core.idnumbers import mask_ids_in_text
from tracker.domain.users import AppUser
from tracker.services import passwords
from tracker.storage.store import Store

MAX_FAILURES = 5
LOCK_PERIOD = timedelta(minutes=15)
IDLE_TIMEOUT = timedelta(minutes=15)
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")
_NAMES_KEPT = 10_000  # unknown names whose failures are counted (oldest forgotten first)


class SignInFailed(NotAllowed):
    """Signing in was refused; the message never says whether the username exists."""


class _UnknownNames:
    """Failure counts and locks of names that are no account, in this process only.

    Kept so that five failures lock an unknown name exactly as they lock a real
    one; bounded, so that trying a million names costs no memory.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: OrderedDict[str, tuple[int, datetime | None]] = OrderedDict()

    def locked_until(self, name: str, now: datetime) -> datetime | None:
        with self._lock:
            _, until = self._state.get(name, (0, None))
        return until if until is not None and now < until else None

    def fail(self, name: str, now: datetime) -> datetime | None:
        """Count a failure; the lock's end when this one locks the name."""
        with self._lock:
            failures, _ = self._state.pop(name, (0, None))
            failures += 1
            until = now + LOCK_PERIOD if failures >= MAX_FAILURES else None
            self._state[name] = (0, until) if until else (failures, None)
            while len(self._state) > _NAMES_KEPT:
                self._state.popitem(last=False)
        return until


_unknown = _UnknownNames()


def sign_in(store: Store, username: str, password: str, *, now: datetime | None = None) -> AppUser:
    """Check a username and password and return the account.

    Raises :class:`SignInFailed`: one message for an unknown name or a wrong
    password, a lock message (with the lock's date and time) while the name is
    locked, known or not; :class:`~tracker.services.passwords.PasswordChecksBusy`
    when too many checks are under way (nothing is counted then).  Every outcome
    is written to the activity log; the password never is.
    """
    now = now or clock.now()
    name = (username or "").strip().lower()[:64]
    user = store.get(AppUser, name) if _USERNAME.match(name) else None
    if user is None:
        return _refuse_unknown(store, name, password, now)
    locked = user.is_locked(now)
    good = passwords.verify("" if locked else user.password_hash, password or "")
    with store.locked():  # re-read: another session may have failed or locked meanwhile
        user = store.require(AppUser, name)
        if user.is_locked(now):
            store.record_event(actor=name, action="sign_in_refused", details={"reason": "locked"})
            raise _locked(user.locked_until)
        if not good:
            _count_failure(store, user, now)
        if user.disabled:
            store.record_event(actor=name, action="sign_in_refused", details={"reason": "disabled"})
            raise SignInFailed("此帳號已停用，請洽資訊室", "this account is disabled")
        return _signed_in(store, user, password)


def sign_out(store: Store, username: str, *, reason: str = "user") -> None:
    """Log the end of a session; ``reason`` is ``user`` or ``idle`` (6.3's time-out)."""
    action = "session_timed_out" if reason == "idle" else "sign_out"
    store.record_event(actor=username, action=action, details={"reason": reason})


def is_idle(last_seen: datetime | None, now: datetime | None = None) -> bool:
    """True when more than :data:`IDLE_TIMEOUT` passed since ``last_seen`` (``None`` is not idle)."""
    return last_seen is not None and (now or clock.now()) - last_seen > IDLE_TIMEOUT


def _refuse_unknown(store: Store, name: str, password: str, now: datetime):
    """The same work and answers as for a real account, for a name that is none."""
    locked = _unknown.locked_until(name, now)
    passwords.verify("", password or "")  # one Argon2id check, as for a real name
    actor = mask_ids_in_text(name) if _USERNAME.match(name) else "-"
    if locked:
        store.record_event(actor=actor, action="sign_in_refused", details={"reason": "locked"})
        raise _locked(locked)
    store.record_event(actor=actor, action="sign_in_failed", details={"reason": "unknown_user"})
    until = _unknown.fail(name, now)
    raise _locked(until) if until else _wrong_credentials()


def _count_failure(store: Store, user: AppUser, now: datetime):
    failures = user.failed_attempts + 1
    if failures >= MAX_FAILURES:
        locked = replace(user, failed_attempts=0, locked_until=now + LOCK_PERIOD)
        store.put(locked, actor=user.id, action="user_locked")
        raise _locked(locked.locked_until)
    store.put(replace(user, failed_attempts=failures), actor=user.id, action="sign_in_failed")
    raise _wrong_credentials()


def _signed_in(store: Store, user: AppUser, password: str) -> AppUser:
    updated = replace(user, failed_attempts=0, locked_until=None)
    if passwords.needs_rehash(user.password_hash):  # the hasher's parameters changed since
        updated = replace(updated, password_hash=passwords.hash_password(password))
    if updated != user:
        store.put(updated, actor=user.id, action="sign_in")
    else:
        store.record_event(actor=user.id, action="sign_in", details={"method": "password"})
    return updated


def _wrong_credentials() -> SignInFailed:
    return SignInFailed("帳號或密碼錯誤", "wrong username or password")


def _locked(until: datetime) -> SignInFailed:
    local = until.astimezone(clock.TAIPEI)
    return SignInFailed(
        f"登入失敗次數過多，帳號鎖定至 {roc_short(local.date())} {local:%H:%M}，請稍後再試",
        f"too many failed sign-ins; locked until {local:%Y-%m-%d %H:%M}",
    )
