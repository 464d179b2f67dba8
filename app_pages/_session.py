"""The browser session: who is signed in, and the 15-minute idle time-out of point 6.3.

Only the username and the time of the last interaction live in
``st.session_state`` (keys :data:`USER_KEY`, :data:`LAST_SEEN_KEY`); the account
itself is read from the store on every run, so disabling an account ends its
sessions at their next interaction.
"""

from __future__ import annotations

import streamlit as st

from tracker.core import clock
from tracker.domain.users import AppUser
from tracker.services import users
from tracker.storage.store import Store

USER_KEY = "user_id"
LAST_SEEN_KEY = "last_seen"
NOTICE_KEY = "sign_in_notice"


def start(user: AppUser) -> None:
    st.session_state[USER_KEY] = user.id
    st.session_state[LAST_SEEN_KEY] = clock.now()


def end(store: Store, *, reason: str = "user") -> None:
    """Sign the session out and log it (``reason`` ``user`` or ``idle``)."""
    username = st.session_state.get(USER_KEY)
    if username:
        users.sign_out(store, username, reason=reason)
    for key in (USER_KEY, LAST_SEEN_KEY):
        st.session_state.pop(key, None)
    if sso_enabled() and _sso_logged_in():
        st.logout()


def current_user(store: Store) -> AppUser | None:
    """The signed-in account, after ending a session idle for more than 15 minutes."""
    username = st.session_state.get(USER_KEY)
    if not username:
        return None
    if users.is_idle(st.session_state.get(LAST_SEEN_KEY)):
        end(store, reason="idle")
        st.session_state[NOTICE_KEY] = "閒置超過 15 分鐘，已自動登出，請重新登入。"
        return None
    user = store.get(AppUser, username)
    if user is None or user.disabled:
        st.session_state.pop(USER_KEY, None)
        return None
    st.session_state[LAST_SEEN_KEY] = clock.now()
    return user


def sso_enabled() -> bool:
    """True when ``.streamlit/secrets.toml`` has an ``[auth]`` section (single sign-on via OIDC)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises its own error types
        return False


def _sso_logged_in() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except Exception:
        return False


def adopt_sso_identity(store: Store) -> AppUser | None:
    """After ``st.login``, the local account mapped from the identity's e-mail (or ``None``)."""
    if not (sso_enabled() and _sso_logged_in()):
        return None
    user = users.user_for_email(store, str(st.user.get("email") or ""))
    if user is not None:
        users.record_sso_sign_in(store, user)
        start(user)
    return user
