"""Signed-in sessions, kept on the server (point 6.3: sessions end on sign-out and after 15 idle minutes).

The browser session holds only a random token (:func:`SessionRegistry.open`);
who is signed in, and since when the session is idle, is known only here.
Signing out (:meth:`SessionRegistry.end`) or 15 minutes without interaction
ends the entry, so the token is worth nothing afterwards, whatever the
browser or a copied session id still holds.  :meth:`SessionRegistry.serves`
tells the web server's upload guard whether a client connection belongs to a
signed-in session.

One registry per process (:data:`REGISTRY`): a browser session lives in one
process anyway (Streamlit keeps session state in memory; with several replicas
on one database, nginx's sticky sessions keep each browser on one replica, see
the README), and a restart ends that process's sessions, which is as it should
be.  An account disabled on one replica loses its sessions on the others at
their next run, since every run reads the account from the shared store.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tracker.core import clock

IDLE_TIMEOUT = timedelta(minutes=15)
MAX_SESSIONS = 10_000  # a flood of sign-ins cannot grow the registry without bound
FORGET_AFTER = timedelta(hours=12)


@dataclass
class _Entry:
    username: str
    last_seen: datetime
    idle: timedelta
    clients: set[str] = field(default_factory=set)

    def idle_at(self, now: datetime) -> bool:
        return now - self.last_seen > self.idle


@dataclass(frozen=True)
class Ended:
    """A session that ended: whose, and why (``user``, ``idle`` or ``revoked``)."""

    username: str
    reason: str


class SessionRegistry:
    """Tokens of signed-in sessions and their last interaction (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}

    def open(self, username: str, client: str | None = None, idle: timedelta = IDLE_TIMEOUT) -> str:
        """A new token for ``username``; ``client`` is the connection's id (for the upload guard),
        ``idle`` how long the session may stay unused (at most :data:`IDLE_TIMEOUT`)."""
        token = secrets.token_urlsafe(32)
        now = clock.now()
        entry = _Entry(username, now, min(idle, IDLE_TIMEOUT), {client} if client else set())
        with self._lock:
            self._drop_forgotten(now)
            if len(self._entries) >= MAX_SESSIONS:  # the oldest interaction goes first
                oldest = min(self._entries, key=lambda t: self._entries[t].last_seen)
                del self._entries[oldest]
            self._entries[token] = entry
        return token

    def touch(self, token: str | None, client: str | None = None) -> str | Ended | None:
        """The username of a live session, its idle clock restarted; an :class:`Ended` if it
        idled out just now; ``None`` for a token that is unknown or already ended."""
        if not token:
            return None
        now = clock.now()
        with self._lock:
            entry = self._entries.get(token)
            if entry is None:
                return None
            if entry.idle_at(now):
                del self._entries[token]
                return Ended(entry.username, "idle")
            entry.last_seen = now
            if client:
                entry.clients.add(client)
            return entry.username

    def idle(self, token: str | None) -> bool:
        """Whether the session behind ``token`` is over (idle, ended or unknown), without touching it."""
        with self._lock:
            entry = self._entries.get(token or "")
            return entry is None or entry.idle_at(clock.now())

    def end(self, token: str | None, reason: str = "user") -> Ended | None:
        """End the session (sign-out); ``None`` when it had already ended."""
        with self._lock:
            entry = self._entries.pop(token or "", None)
        return Ended(entry.username, reason) if entry else None

    def end_user(self, username: str) -> int:
        """End every session of ``username`` (an account disabled); the number ended."""
        with self._lock:
            tokens = [t for t, e in self._entries.items() if e.username == username]
            for token in tokens:
                del self._entries[token]
        return len(tokens)

    def serves(self, client: str) -> bool:
        """Whether a live (not idle) signed-in session was seen on connection ``client``."""
        now = clock.now()
        with self._lock:
            return any(client in e.clients and not e.idle_at(now) for e in self._entries.values())

    def _drop_forgotten(self, now: datetime) -> None:
        """Forget sessions idle for half a day (their tabs are long closed); the ones idle for
        less stay, so that their next interaction can log the time-out."""
        for token in [t for t, e in self._entries.items() if now - e.last_seen > FORGET_AFTER]:
            del self._entries[token]


REGISTRY = SessionRegistry()
