"""People who sign in to the web app: role, vendor, password hash, lock-out state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AppUser:
    """A local account of the web app; ``id`` is the username.

    ``vendor_id`` is set exactly when ``role`` is ``vendor``.  ``locked_until``
    is ``None`` unless five failures locked the account.  ``sso_issuer`` and
    ``sso_subject_hash`` (both ``""`` until linked) name the one identity-provider
    account that signs in as this one: its issuer, and the SHA-256 of its
    subject, which some providers make a national ID (:mod:`tracker.services.sso`);
    ``email`` (optional, unique) lets that link be made at the first single sign-on.
    ``must_change_password``: the password is a one-time password someone else saw,
    to be replaced at the next sign-in.  ``unit`` (使用單位) is a unit head's own unit: the
    only one whose NIA account applications it takes the first review of (point 五).
    """

    id: str
    role: str
    vendor_id: str | None = None
    password_hash: str = ""
    failed_attempts: int = 0
    locked_until: datetime | None = None
    disabled: bool = False
    email: str = ""
    sso_issuer: str = ""
    sso_subject_hash: str = ""
    must_change_password: bool = False
    unit: str = ""

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until
