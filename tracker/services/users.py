"""Accounts of the web app and signing in (point 6.3: credentials kept secret, sessions end).

Passwords are hashed with Argon2id (argon2-cffi's ``PasswordHasher``) and
re-hashed on the next sign-in when the hasher's parameters change.  A password
is never stored, logged or returned.  Argon2 rather than bcrypt: bcrypt
silently ignores everything past 72 bytes, which a Chinese passphrase of 24
characters already reaches.

Rules this module holds:

* roles ``it_office``, ``manager``, ``account_admin``, ``unit_head`` (使用單位主管, who takes the
  first review of NIA account applications) and ``vendor``; a vendor
  account is bound to exactly one vendor, the other roles to none;
* five failed sign-ins in a row lock the account for 15 minutes, and while it
  is locked even the right password is refused;
* a session idles out after 15 minutes without interaction (:func:`is_idle`);
* every sign-in, sign-out, failure and lock goes to the activity log.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tracker.core import clock
from tracker.core.errors import InvalidInput, NotAllowed, NotFound
from tracker.domain.users import AppUser
from tracker.domain.vendors import Vendor
from tracker.storage.store import Store

APP_ROLES = ("it_office", "manager", "account_admin", "unit_head", "vendor")
MAX_FAILURES = 5
LOCK_PERIOD = timedelta(minutes=15)
IDLE_TIMEOUT = timedelta(minutes=15)
MIN_PASSWORD = 8
MAX_PASSWORD = 256
DEMO_PASSWORD = "demo-password"
DEMO_USERS = (
    ("it.office", "it_office", None),
    ("manager", "manager", None),
    ("account.admin", "account_admin", None),
    ("unit.head", "unit_head", None),
    ("vendor.a", "vendor", "v-a"),
    ("vendor.b", "vendor", "v-b"),
)
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}$")
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A hash to check unknown usernames against, made on first use (0.2 s saved at start-up)."""
    return _hasher.hash("not-a-password-of-anyone")


class SignInFailed(NotAllowed):
    """Signing in was refused; the message never says whether the username exists."""


def validate_username(username: str) -> str:
    """The username, stripped; raises InvalidInput unless it matches ``[a-z0-9][a-z0-9._-]{2,31}``."""
    name = (username or "").strip()
    if not _USERNAME.match(name):
        raise InvalidInput(
            "帳號須為 3–32 個小寫英數字，可含 . _ -，且以英數字開頭",
            "a username has 3-32 characters a-z, 0-9, '.', '_' or '-' and starts with a letter or digit",
        )
    return name


def validate_password(password: str) -> str:
    """The password unchanged; raises InvalidInput when it is too short or too long."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"密碼至少 {MIN_PASSWORD} 個字元", f"a password has at least {MIN_PASSWORD} characters"
        )
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(
            f"密碼不得超過 {MAX_PASSWORD} 個字元",
            f"a password has at most {MAX_PASSWORD} characters",
        )
    return password


def validate_role(role: str, vendor_id: str | None) -> str:
    """The role; a vendor account needs a vendor and the other roles refuse one."""
    if role not in APP_ROLES:
        raise InvalidInput(
            f"未知的角色「{role}」，可用：{'、'.join(APP_ROLES)}",
            f"unknown role '{role}' (allowed: {', '.join(APP_ROLES)})",
        )
    if role == "vendor" and not vendor_id:
        raise InvalidInput("委外廠商帳號須指定所屬廠商", "a vendor account needs --vendor")
    if role != "vendor" and vendor_id:
        raise InvalidInput("只有委外廠商帳號可指定廠商", f"role {role} cannot be bound to a vendor")
    return role


def find_vendor(store: Store, text: str) -> Vendor:
    """The vendor whose id, name or 統一編號 is ``text``; raises NotFound otherwise."""
    wanted = (text or "").strip()
    for vendor in store.all(Vendor):
        if wanted in (vendor.id, vendor.name, vendor.ubn):
            return vendor
    raise NotFound(
        f"找不到廠商「{wanted}」", f"no vendor with id, name or business number '{wanted}'"
    )


def check_new_user(store: Store, *, username: str, role: str, vendor_id: str | None = None) -> str:
    """The validated username of an account that may be created; raises InvalidInput or NotFound."""
    name = validate_username(username)
    validate_role(role, vendor_id)
    if vendor_id:
        store.require(Vendor, vendor_id)
    if store.get(AppUser, name) is not None:
        raise InvalidInput(f"帳號 {name} 已存在", f"username {name} already exists")
    return name


def create_user(
    store: Store,
    actor: str,
    *,
    username: str,
    role: str,
    password: str,
    vendor_id: str | None = None,
    email: str = "",
) -> AppUser:
    """Create an account; raises InvalidInput for a bad or duplicate username, role, vendor or password."""
    name = check_new_user(store, username=username, role=role, vendor_id=vendor_id)
    user = AppUser(
        id=name,
        role=role,
        vendor_id=vendor_id or None,
        password_hash=_hasher.hash(validate_password(password)),
        email=_clean_email(email),
    )
    with store.locked():
        check_new_user(
            store, username=name, role=role, vendor_id=vendor_id
        )  # again, under the lock
        return store.put(user, actor=actor, action="user_created")


def list_users(store: Store) -> list[AppUser]:
    """Every account, by username."""
    return sorted(store.all(AppUser), key=lambda u: u.id)


def require_user(store: Store, username: str) -> AppUser:
    """The account named ``username``; raises NotFound."""
    user = store.get(AppUser, (username or "").strip().lower())
    if user is None:
        raise NotFound(f"找不到帳號 {username}", f"no user {username}")
    return user


def set_password(store: Store, actor: str, username: str, password: str) -> AppUser:
    """Replace the password; also clears failures and any lock."""
    user = require_user(store, username)
    changed = replace(
        user,
        password_hash=_hasher.hash(validate_password(password)),
        failed_attempts=0,
        locked_until=None,
    )
    return store.put(changed, actor=actor, action="user_password_set")


def unlock_user(store: Store, actor: str, username: str) -> AppUser:
    """Lift a lock and forget earlier failures."""
    user = require_user(store, username)
    return store.put(
        replace(user, failed_attempts=0, locked_until=None), actor=actor, action="user_unlocked"
    )


def set_disabled(store: Store, actor: str, username: str, disabled: bool = True) -> AppUser:
    """Disable (or enable again) an account; a disabled account cannot sign in."""
    user = require_user(store, username)
    action = "user_disabled" if disabled else "user_enabled"
    return store.put(replace(user, disabled=disabled), actor=actor, action=action)


def sign_in(store: Store, username: str, password: str, *, now: datetime | None = None) -> AppUser:
    """Check a username and password and return the account.

    Raises :class:`SignInFailed` with one message for an unknown name or a
    wrong password, and a lock message while the account is locked (the fifth
    failure in a row locks it for :data:`LOCK_PERIOD`).  Every outcome is
    written to the activity log; the password never is.
    """
    now = now or clock.now()
    name = (username or "").strip().lower()[:64]
    user = store.get(AppUser, name) if _USERNAME.match(name) else None
    if user is None:
        _verify(
            _dummy_hash(), password or ""
        )  # same cost as a real check: no enumeration by timing
        store.record_event(
            actor=name or "-", action="sign_in_failed", details={"reason": "unknown_user"}
        )
        raise _wrong_credentials()
    good = not user.is_locked(now) and _verify(user.password_hash, password or "")
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


def user_for_email(store: Store, email: str) -> AppUser | None:
    """The enabled account whose id or stored e-mail is ``email`` (single sign-on), else ``None``."""
    wanted = (email or "").strip().lower()
    if not wanted:
        return None
    for user in store.all(AppUser):
        if not user.disabled and wanted in (user.id, user.email.lower()):
            return user
    return None


def record_sso_sign_in(store: Store, user: AppUser) -> None:
    store.record_event(actor=user.id, action="sign_in", details={"method": "sso"})


def seed_demo_users(store: Store) -> list[AppUser]:
    """The five demo accounts, all with :data:`DEMO_PASSWORD`; existing ones are left alone."""
    made = []
    for username, role, vendor_id in DEMO_USERS:
        if store.get(AppUser, username) is None and (
            vendor_id is None or store.get(Vendor, vendor_id)
        ):
            made.append(
                create_user(
                    store,
                    "demo",
                    username=username,
                    role=role,
                    password=DEMO_PASSWORD,
                    vendor_id=vendor_id,
                )
            )
    return made


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


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
    if _hasher.check_needs_rehash(user.password_hash):  # the hasher's parameters changed since
        updated = replace(updated, password_hash=_hasher.hash(password))
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
        f"登入失敗次數過多，帳號鎖定至 {local:%H:%M}，請稍後再試",
        f"too many failed sign-ins; locked until {local:%H:%M}",
    )


def _clean_email(email: str) -> str:
    text = (email or "").strip()
    if text and not _EMAIL.match(text):
        raise InvalidInput("電子郵件格式錯誤", "not an e-mail address")
    return text
