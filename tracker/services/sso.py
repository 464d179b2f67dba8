"""Single sign-on (OIDC through Streamlit's ``st.login``): which local account an identity signs in as.

An ID token is trusted only for what the identity provider vouches for: its
issuer (``iss``) and subject (``sub``) name one person, and an e-mail counts
only when ``email_verified`` is true.  So each local account is bound to at
most one ``(issuer, subject)`` pair (``AppUser.sso_issuer`` and
``sso_subject_hash``: the subject is kept and logged only as its SHA-256, as
some providers make it a national ID), and the binding is made

* by an administrator: :func:`link` (``python -m tracker users link USERNAME
  --issuer … --subject …``), or
* once, at the identity's first sign-in, when its address is verified, lies in
  one of the configured domains (``TRACKER_SSO_EMAIL_DOMAINS``) and equals the
  stored e-mail of exactly one account that is not bound yet.

A username is never compared with anything in the token, an unverified or
foreign address never links, and an identity of another issuer never matches a
binding (even with the same subject).  Every refusal is logged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace

from tracker.core.errors import InvalidInput
from tracker.domain.users import AppUser
from tracker.services.users import require_user
from tracker.storage.store import Store

MAX_CLAIM = 255


@dataclass(frozen=True)
class Identity:
    """What a verified ID token says about its holder (claims ``iss``, ``sub``, ``email``)."""

    issuer: str
    subject: str
    email: str = ""
    email_verified: bool = False

    @classmethod
    def from_claims(cls, claims: Mapping) -> Identity | None:
        """The identity of an ID token's claims; ``None`` without an issuer and a subject."""
        issuer, subject = str(claims.get("iss") or ""), str(claims.get("sub") or "")
        if not issuer or not subject or max(len(issuer), len(subject)) > MAX_CLAIM:
            return None
        verified = claims.get("email_verified")
        return cls(
            issuer,
            subject,
            str(claims.get("email") or "")[:MAX_CLAIM],
            verified is True or str(verified).lower() == "true",
        )


def account_for(
    store: Store, identity: Identity, email_domains: tuple[str, ...] = ()
) -> AppUser | None:
    """The enabled local account ``identity`` signs in as, linking it if the rules allow; else ``None``.

    ``email_domains``: the domains (lower case) whose verified addresses may
    link at first sign-in (``Settings.sso_email_domains``); empty means only an
    administrator links.
    """
    with store.locked():
        bound = _bound_to(store, identity.issuer, identity.subject)
        if bound is not None:
            return None if bound.disabled else bound
        candidate, reason = _linkable(store, identity, email_domains)
        if candidate is None:
            store.record_event(
                actor="-", action="sso_sign_in_refused", details=_details(identity, reason)
            )
            return None
        linked = replace(
            candidate, sso_issuer=identity.issuer, sso_subject_hash=subject_hash(identity.subject)
        )
        return store.put(linked, actor=candidate.id, action="sso_identity_linked")


def link(store: Store, actor: str, username: str, *, issuer: str, subject: str) -> AppUser:
    """Bind ``username`` to the identity ``(issuer, subject)``, replacing an earlier binding.

    Raises InvalidInput for a blank issuer or subject or one already bound to
    another account, NotFound for an unknown username.
    """
    issuer, subject = (issuer or "").strip(), (subject or "").strip()
    if not issuer or not subject:
        raise InvalidInput(
            "請指定簽發者（issuer）與主體（subject）", "--issuer and --subject are required"
        )
    with store.locked():
        user = require_user(store, username)
        other = _bound_to(store, issuer, subject)
        if other is not None and other.id != user.id:
            raise InvalidInput(
                f"此單一登入身分已對應帳號 {other.id}",
                f"this identity is already bound to {other.id}",
            )
        changed = replace(user, sso_issuer=issuer, sso_subject_hash=subject_hash(subject))
        return store.put(changed, actor=actor, action="sso_identity_linked")


def unlink(store: Store, actor: str, username: str) -> AppUser:
    """Remove the account's single sign-on binding (its password still works)."""
    user = require_user(store, username)
    return store.put(
        replace(user, sso_issuer="", sso_subject_hash=""),
        actor=actor,
        action="sso_identity_unlinked",
    )


def record_sso_sign_in(store: Store, user: AppUser) -> None:
    store.record_event(actor=user.id, action="sign_in", details={"method": "sso"})


def subject_hash(subject: str) -> str:
    """The SHA-256 (hex) of an ID token's subject, as accounts keep it."""
    return hashlib.sha256(subject.encode("utf-8")).hexdigest()


def _bound_to(store: Store, issuer: str, subject: str) -> AppUser | None:
    wanted = (issuer, subject_hash(subject))
    return next(
        (u for u in store.all(AppUser) if (u.sso_issuer, u.sso_subject_hash) == wanted), None
    )


def _linkable(
    store: Store, identity: Identity, email_domains: tuple[str, ...]
) -> tuple[AppUser | None, str]:
    """The one account the identity may be linked to at first sign-in, or why there is none."""
    address = identity.email.strip().casefold()
    if not address or "@" not in address:
        return None, "no_email"
    if not identity.email_verified:
        return None, "email_not_verified"
    if address.rsplit("@", 1)[1] not in email_domains:
        return None, "email_domain_not_allowed"
    owners = [u for u in store.all(AppUser) if u.email.strip().casefold() == address]
    if len(owners) != 1:
        return None, "no_account_with_email" if not owners else "email_not_unique"
    if owners[0].sso_subject_hash:
        return None, "account_bound_to_another_identity"
    if owners[0].disabled:
        return None, "account_disabled"
    return owners[0], ""


def _details(identity: Identity, reason: str) -> dict:
    return {
        "reason": reason,
        "issuer": identity.issuer,
        "subject_sha256": subject_hash(identity.subject),
    }
