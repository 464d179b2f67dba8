"""Password hashing with Argon2id, with a bound on how many hashes run at once.

Each Argon2id hash or check takes :data:`MEMORY_KIB` (64 MiB, argon2-cffi's
default) and about 0.2 s of one core.  Sign-ins arrive from anyone who can
reach the sign-in page, so without a bound forty parallel attempts cost
2.5 GB.  :func:`verify` and :func:`hash_password` therefore pass a gate: at
most :data:`SLOTS` run at once, at most :data:`QUEUE` more wait (for up to
:data:`WAIT_S` seconds), and anything beyond is refused at once with
:class:`PasswordChecksBusy` ("try again shortly"), before any memory is taken.
The reverse proxy limits how fast one address may open connections (see the
README's deployment notes); this gate is what holds when many addresses try.

Argon2 rather than bcrypt: bcrypt silently ignores everything past 72 bytes,
which a Chinese passphrase of 24 characters already reaches.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tracker.core.errors import NotAllowed

SLOTS = 2  # checks at once: 2 x 64 MiB, and the two cores of the reference server
QUEUE = 8  # waiting checks; the ninth waiter is refused at once
WAIT_S = 10.0  # longest wait for a slot before the check is refused
_hasher = PasswordHasher()
MEMORY_KIB = _hasher.memory_cost


class PasswordChecksBusy(NotAllowed):
    """Too many password checks are running or waiting; nothing was checked."""

    def __init__(self) -> None:
        super().__init__(
            "目前登入人數眾多，請稍候數秒再試",
            "too many sign-ins at once; try again in a few seconds",
        )


class Gate:
    """At most ``slots`` holders at once and ``queue`` waiters; others are refused (thread-safe)."""

    def __init__(self, slots: int = SLOTS, queue: int = QUEUE, wait_s: float = WAIT_S) -> None:
        self._slots = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self._inside = 0
        self._limit = slots + queue
        self._wait_s = wait_s

    @contextmanager
    def passage(self) -> Iterator[None]:
        """Hold a slot for the block; raises PasswordChecksBusy when full or after the wait."""
        with self._lock:
            if self._inside >= self._limit:
                raise PasswordChecksBusy()
            self._inside += 1
        try:
            if not self._slots.acquire(timeout=self._wait_s):
                raise PasswordChecksBusy()
            try:
                yield
            finally:
                self._slots.release()
        finally:
            with self._lock:
                self._inside -= 1


GATE = Gate()


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password`` (through the gate; may raise PasswordChecksBusy)."""
    with GATE.passage():
        return _hasher.hash(password)


def verify(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; a malformed hash is no match.

    Through the gate, so it may raise PasswordChecksBusy.  An empty hash costs
    the same as a real one (it is checked against :func:`dummy_hash`).
    """
    with GATE.passage():
        try:
            return _hasher.verify(password_hash or dummy_hash(), password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than the hasher's current ones."""
    return _hasher.check_needs_rehash(password_hash)


@cache
def dummy_hash() -> str:
    """A hash of no one's password, with the current parameters, to check unknown names against
    (made on first use: 0.2 s saved at start-up)."""
    return _hasher.hash("not-a-password-of-anyone")
