"""The browser session: who is signed in, the 15-minute idle time-out of point 6.3, and uploads.

``st.session_state`` holds only a random token (key :data:`TOKEN_KEY`); the
server-side registry (:mod:`tracker.services.sessions`) knows whose it is and
when it was last used.  Signing out or idling out ends the registry's entry,
so nothing the browser kept (or a reused session id) signs anyone in again.
A Streamlit session that signs in or out is marked non-resumable: a later
connection naming its id gets a fresh, signed-out session.  The account itself
is read from the store on every run, so disabling an account ends its sessions
at their next interaction.

:func:`guard_uploads` makes the web server refuse files sent by a connection
that has no signed-in session (the sign-in page has no upload, so a file sent
there is an attack on memory).
"""

from __future__ import annotations

import time
from datetime import timedelta

import streamlit as st

from tracker.domain.users import AppUser
from tracker.services import sso
from tracker.services.sessions import REGISTRY, Ended
from tracker.services.sign_in import sign_out
from tracker.storage.store import Store

TOKEN_KEY = "session_token"
NOTICE_KEY = "sign_in_notice"
ATTEMPTS_KEY = "sign_in_attempts"
SSO_REFUSED_KEY = "sso_refused"
ATTEMPTS_PER_MINUTE = 10  # sign-in attempts of one browser session


def start(store: Store, user: AppUser) -> None:
    """Sign this browser session in as ``user`` (after a checked password or SSO)."""
    idle = timedelta(minutes=store.settings.session_idle_minutes)
    st.session_state[TOKEN_KEY] = REGISTRY.open(user.id, _client_id(), idle)
    _no_resume()


def end(store: Store, *, reason: str = "user") -> None:
    """Sign the session out and log it (``reason`` ``user`` or ``idle``)."""
    ended = REGISTRY.end(st.session_state.pop(TOKEN_KEY, None), reason)
    if ended is not None:
        sign_out(store, ended.username, reason=reason)
    _no_resume()
    if sso_enabled() and _sso_logged_in():
        st.logout()


def current_user(store: Store) -> AppUser | None:
    """The signed-in account, after ending a session idle for more than 15 minutes."""
    token = st.session_state.get(TOKEN_KEY)
    if not token:
        return None
    state = REGISTRY.touch(token, _client_id())
    if isinstance(state, Ended):
        st.session_state.pop(TOKEN_KEY, None)
        sign_out(store, state.username, reason="idle")
        minutes = f"{store.settings.session_idle_minutes:g}"
        st.session_state[NOTICE_KEY] = f"閒置超過 {minutes} 分鐘，已自動登出，請重新登入。"
        _no_resume()
        return None
    user = store.get(AppUser, state) if state else None
    if user is None or user.disabled:
        REGISTRY.end(token, "revoked")
        st.session_state.pop(TOKEN_KEY, None)
        return None
    return user


def idle_now() -> bool:
    """Whether this session's sign-in is over (idle or ended), without counting as an interaction."""
    return REGISTRY.idle(st.session_state.get(TOKEN_KEY))


def attempt_allowed() -> bool:
    """Count a sign-in attempt of this browser session; False beyond :data:`ATTEMPTS_PER_MINUTE`."""
    now = time.monotonic()
    recent = [t for t in st.session_state.get(ATTEMPTS_KEY, []) if now - t < 60]
    allowed = len(recent) < ATTEMPTS_PER_MINUTE
    st.session_state[ATTEMPTS_KEY] = recent + [now] if allowed else recent
    return allowed


def sso_enabled() -> bool:
    """True when ``.streamlit/secrets.toml`` has an ``[auth]`` section (single sign-on via OIDC)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises its own error types
        return False


def sso_providers() -> list[str | None]:
    """The named providers of ``[auth.NAME]`` sections, or ``[None]`` for the one ``[auth]``."""
    auth = st.secrets["auth"]
    named = [k for k, v in auth.items() if hasattr(v, "keys") and "client_id" in v]
    return named or [None]


def _sso_logged_in() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except Exception:
        return False


def adopt_sso_identity(store: Store) -> AppUser | None:
    """After ``st.login``, the local account bound to the identity's issuer and subject (or ``None``).

    See :mod:`tracker.services.sso` for when an identity is linked; an identity
    that maps to no account stays signed out of this app.
    """
    if not (sso_enabled() and _sso_logged_in()):
        return None
    identity = sso.Identity.from_claims(st.user.to_dict())
    if identity is None or st.session_state.get(SSO_REFUSED_KEY) == identity:
        return None  # refused once in this session: not asked (and logged) on every run
    user = sso.account_for(store, identity, store.settings.sso_email_domains)
    if user is None:
        st.session_state[SSO_REFUSED_KEY] = identity
        return None
    sso.record_sso_sign_in(store, user)
    start(store, user)
    return user


def _client_id() -> str | None:
    """The Streamlit session id of this run (``None`` outside a server, e.g. in AppTest)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else None


def _runtime():
    from streamlit.runtime import Runtime

    return Runtime.instance() if Runtime.exists() else None


def _no_resume() -> None:
    """Make a later connection that names this session's id start a fresh one instead."""
    runtime, client = _runtime(), _client_id()
    if runtime is not None and client:
        runtime.mark_session_nonresumable(client)


def guard_uploads() -> None:
    """Make the server refuse uploads (HTTP 403) from connections without a signed-in session.

    Installed once per process, on the runtime's upload manager: the refusal
    comes before the body is read (the session check of the upload route) and
    again before a file is kept (``add_file``).
    """
    runtime = _runtime()
    manager = getattr(runtime, "uploaded_file_mgr", None)
    if runtime is None or manager is None or getattr(manager, "_signed_in_only", False):
        return
    from starlette.exceptions import HTTPException

    keep, active = manager.add_file, runtime.is_active_session

    def add_file(session_id: str, file) -> None:
        if not REGISTRY.serves(session_id):
            raise HTTPException(status_code=403, detail="sign in before uploading")
        keep(session_id=session_id, file=file)

    def is_active_session(session_id: str) -> bool:  # asked only by the upload route
        if not REGISTRY.serves(session_id):
            raise HTTPException(status_code=403, detail="sign in before uploading")
        return active(session_id)

    manager.add_file = add_file
    runtime.is_active_session = is_active_session
    manager._signed_in_only = True
