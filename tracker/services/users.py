"""Accounts of the web app (point 6.3: credentials kept secret).

Passwords are hashed with Argon2id (:mod:`tracker.services.passwords`) and
re-hashed on the next sign-in when the hasher's parameters change.  A password
is never stored, logged or returned.  Signing in and the lock-out are in
:mod:`tracker.services.sign_in`, single sign-on in :mod:`tracker.services.sso`,
the demo accounts in :mod:`tracker.services.demo_accounts`.

Rules this module holds:

* roles ``it_office``, ``manager``, ``account_admin``, ``unit_head`` (使用單位主管, who takes the
  first review of NIA account applications) and ``vendor``; a vendor
  account is bound to exactly one vendor, the other roles to none;
* a stored e-mail address belongs to one account only (compared case-insensitively);
* a demo folder takes no real account until its demo accounts are removed.
"""

from __future__ import annotations

import re
from dataclasses import replace

from tracker.core.errors import InvalidInput, NotFound
from tracker.core.text import format_characters
from tracker.domain.users import AppUser
from tracker.domain.vendors import Vendor
from tracker.services import passwords
from tracker.services.demo_accounts import (
    DEMO_PASSWORD,
    DEMO_UNITS,
    DEMO_USERS,
    refuse_in_demo_folder,
)
from tracker.services.sessions import REGISTRY
from tracker.services.vendors import clean_text
from tracker.storage.store import Store

APP_ROLES = ("it_office", "manager", "account_admin", "unit_head", "vendor")
MIN_PASSWORD = 8
MAX_PASSWORD = 256
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}$")


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


def validate_unit(role: str, unit: str) -> str:
    """A unit head's unit (required: it reviews only its own unit's applications); other roles have none."""
    text = (unit or "").strip()
    if role == "unit_head" and not text:
        raise InvalidInput(
            "使用單位主管帳號須指定所屬單位（僅初審該單位之帳號申請）", "a unit head needs --unit"
        )
    if role != "unit_head" and text:
        raise InvalidInput("只有使用單位主管帳號可指定單位", f"role {role} cannot have a unit")
    return clean_text(text, "使用單位", "unit", required=False, max_len=60)


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


def check_new_user(
    store: Store,
    *,
    username: str,
    role: str,
    vendor_id: str | None = None,
    email: str = "",
    unit: str = "",
    demo: bool = False,
) -> str:
    """The validated username of an account that may be created; raises InvalidInput or NotFound.

    Refused in a demo folder (its public demo accounts would stay valid beside
    a real one) unless ``demo`` (the demo seeder's own accounts).
    """
    if not demo:
        refuse_in_demo_folder(store, "新增網站帳號", "add an account")
    name = validate_username(username)
    validate_role(role, vendor_id)
    validate_unit(role, unit)
    if vendor_id:
        store.require(Vendor, vendor_id)
    if store.get(AppUser, name) is not None:
        raise InvalidInput(f"帳號 {name} 已存在", f"username {name} already exists")
    clean_email(store, email)
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
    unit: str = "",
    demo: bool = False,
    must_change_password: bool = False,
    action: str = "user_created",
) -> AppUser:
    """Create an account (``must_change_password``: its password is a one-time one); raises InvalidInput for a bad or duplicate username, role, vendor,
    unit, e-mail or password, and in a demo folder (see :func:`check_new_user`)."""
    fields = dict(
        username=username, role=role, vendor_id=vendor_id, email=email, unit=unit, demo=demo
    )
    name = check_new_user(store, **fields)
    user = AppUser(
        id=name,
        role=role,
        vendor_id=vendor_id or None,
        password_hash=passwords.hash_password(validate_password(password)),
        email=clean_email(store, email),
        unit=validate_unit(role, unit),
        must_change_password=must_change_password,
    )
    with store.locked():
        check_new_user(store, **fields)  # again, under the lock
        return store.put(user, actor=actor, action=action)


def list_users(store: Store) -> list[AppUser]:
    """Every account, by username."""
    return sorted(store.all(AppUser), key=lambda u: u.id)


def require_user(store: Store, username: str) -> AppUser:
    """The account named ``username``; raises NotFound."""
    user = store.get(AppUser, (username or "").strip().lower())
    if user is None:
        raise NotFound(f"找不到帳號 {username}", f"no user {username}")
    return user


def set_password(
    store: Store,
    actor: str,
    username: str,
    password: str,
    *,
    must_change: bool | None = None,
    action: str = "user_password_set",
) -> AppUser:
    """Replace the password; also clears failures and any lock.  ``must_change`` (when given) sets
    whether it is a one-time password to replace at the next sign-in, in the same write.

    The account is read under the store lock (the hash, which is slow, is made before), so a
    change written meanwhile by another process — a disabling, an e-mail — is not overwritten.
    """
    require_user(store, username)
    password_hash = passwords.hash_password(validate_password(password))
    with store.locked():
        user = require_user(store, username)
        changed = replace(user, password_hash=password_hash, failed_attempts=0, locked_until=None)
        if must_change is not None:
            changed = replace(changed, must_change_password=must_change)
        return store.put(changed, actor=actor, action=action)


def unlock_user(store: Store, actor: str, username: str) -> AppUser:
    """Lift a lock and forget earlier failures (the account read under the store lock)."""
    with store.locked():
        user = require_user(store, username)
        return store.put(
            replace(user, failed_attempts=0, locked_until=None), actor=actor, action="user_unlocked"
        )


def set_disabled(store: Store, actor: str, username: str, disabled: bool = True) -> AppUser:
    """Disable (or enable again) an account; a disabled account cannot sign in."""
    action = "user_disabled" if disabled else "user_enabled"
    with store.locked():  # read under the lock: a password change made meanwhile is kept
        user = require_user(store, username)
        changed = store.put(replace(user, disabled=disabled), actor=actor, action=action)
    if disabled:
        REGISTRY.end_user(user.id)  # this process's sessions; others end at their next run
    return changed


def seed_demo_users(store: Store) -> list[AppUser]:
    """The six demo accounts, all with the public demo password; existing ones are left alone."""
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
                    unit=DEMO_UNITS.get(username, ""),
                    demo=True,
                )
            )
    return made


def clean_email(store: Store, email: str, *, owner: str | None = None) -> str:
    """The stripped address, or ``""``; raises InvalidInput for a malformed one or one that
    another account than ``owner`` already has (compared case-insensitively)."""
    text = (email or "").strip()
    if not text:
        return ""
    if not _EMAIL.match(text) or format_characters(text):
        raise InvalidInput("電子郵件格式錯誤", "not an e-mail address")
    taken = user_with_email(store, text)
    if taken is not None and taken.id != owner:
        raise InvalidInput(
            f"電子郵件 {text} 已屬於帳號 {taken.id}", f"{text} already belongs to {taken.id}"
        )
    return text


def user_with_email(store: Store, email: str) -> AppUser | None:
    """The account whose stored e-mail is ``email`` (case-insensitive), or ``None``.

    Usernames are never compared: a username is not an address anyone verified.
    """
    wanted = (email or "").strip().casefold()
    if not wanted:
        return None
    return next((u for u in store.all(AppUser) if u.email.casefold() == wanted), None)


def set_unit(store: Store, actor: str, username: str, unit: str) -> AppUser:
    """Set a unit head's own unit; refused for an empty unit and for the other roles."""
    user = require_user(store, username)
    text = validate_unit(user.role, unit)
    if not text:
        raise InvalidInput("只有使用單位主管帳號可指定單位", f"role {user.role} cannot have a unit")
    with store.locked():  # read again under the lock: a change made meanwhile is kept
        user = require_user(store, username)
        return store.put(replace(user, unit=text), actor=actor, action="user_unit_set")


def set_email(store: Store, actor: str, username: str, email: str) -> AppUser:
    """Store (or clear, with ``""``) the account's e-mail; refused if another account has it."""
    with store.locked():  # read under the lock: a password change made meanwhile is kept
        user = require_user(store, username)
        address = clean_email(store, email, owner=user.id)
        return store.put(replace(user, email=address), actor=actor, action="user_email_set")
