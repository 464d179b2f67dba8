"""The IT office's administration of vendor logins in the web app: create, disable, reset.

A new login and a reset get a one-time password, generated here, shown once to the IT office and
never stored or logged in clear (only its Argon2 hash, as every password); the account must choose
its own password at the next sign-in (:func:`change_own_password`).  Built on
:mod:`tracker.services.users`, which holds the password rules and the hashing.
"""

from __future__ import annotations

import secrets

from tracker.core.errors import InvalidInput, NotAllowed
from tracker.domain.users import AppUser
from tracker.services import sign_in, users
from tracker.storage.store import Store

# No 0/O, 1/l/I: the password is read off a screen and typed by someone else.
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
OTP_LENGTH = 12


def one_time_password() -> str:
    """A fresh random password of :data:`OTP_LENGTH` unambiguous characters."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(OTP_LENGTH))


def vendor_logins(store: Store) -> list[AppUser]:
    """The web-app accounts of vendors, by vendor then username."""
    return sorted(
        (u for u in users.list_users(store) if u.role == "vendor"),
        key=lambda u: (u.vendor_id or "", u.id),
    )


def create_vendor_login(
    store: Store, actor: str, *, username: str, vendor_id: str
) -> tuple[AppUser, str]:
    """A new vendor login and its one-time password (to show once); it must be changed at sign-in."""
    password = one_time_password()
    user = users.create_user(
        store,
        actor,
        username=username,
        role="vendor",
        password=password,
        vendor_id=vendor_id,
        must_change_password=True,
        action="user_created_with_one_time_password",
    )
    return user, password


def reset_password(store: Store, actor: str, username: str) -> tuple[AppUser, str]:
    """A new one-time password for a vendor login (lifts a lock too); the old one stops working."""
    user = _vendor(store, username)
    password = one_time_password()
    changed = users.set_password(
        store, actor, user.id, password, must_change=True, action="user_password_reset"
    )
    return changed, password


def set_vendor_login_disabled(store: Store, actor: str, username: str, disabled: bool) -> AppUser:
    """Disable a vendor login (its sessions end at their next click) or enable it again."""
    return users.set_disabled(store, actor, _vendor(store, username).id, disabled)


def change_own_password(store: Store, username: str, current: str, new: str) -> AppUser:
    """The signed-in user replaces their password; ``current`` must be right and ``new`` differ."""
    if new == current:
        raise InvalidInput("新密碼不得與目前密碼相同", "the new password equals the current one")
    users.validate_password(new)
    sign_in.sign_in(store, username, current)  # checks it, with the lock-out of five failures
    return users.set_password(
        store, username, username, new, must_change=False, action="user_password_changed"
    )


def _vendor(store: Store, username: str) -> AppUser:
    user = users.require_user(store, username)
    if user.role != "vendor":
        raise NotAllowed("此頁僅管理委外廠商帳號", f"{username} is not a vendor login")
    return user
