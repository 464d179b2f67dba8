"""Issue 15, findings 5 and 11: the sign-in page neither exhausts memory nor tells names apart.

The attacks: forty sign-ins at once (each Argon2id check takes 64 MiB: the app
grew from 417 MB to 2.59 GB), five wrong passwords for a real and for an
unknown name (only the real one answered "locked until HH:MM"), and the time
a locked account took to answer (0.5 ms against 190 ms: no hash was checked).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from tracker.core import clock
from tracker.core.dates import roc_short
from tracker.core.errors import TrackerError
from tracker.services import passwords
from tracker.services.passwords import PasswordChecksBusy
from tracker.services.sign_in import SignInFailed, sign_in
from tracker.services.users import create_user
from tracker.storage.store import Store

PASSWORD = "the right passphrase"


class CountingHasher:
    """The real hasher, counting the checks and how many run at once."""

    def __init__(self, real, hold_s: float = 0.0):
        self.real, self.hold_s = real, hold_s
        self.lock, self.running, self.peak, self.checks = threading.Lock(), 0, 0, 0

    def verify(self, hashed, password):
        with self.lock:
            self.running += 1
            self.checks += 1
            self.peak = max(self.peak, self.running)
        try:
            time.sleep(self.hold_s)  # keep the check open so that others pile up
            return self.real.verify(hashed, password)
        finally:
            with self.lock:
                self.running -= 1

    def __getattr__(self, name):
        return getattr(self.real, name)


@pytest.fixture
def store() -> Store:
    store = Store.in_memory()
    create_user(store, "t", username="it.office", role="it_office", password=PASSWORD)
    return store


@pytest.fixture
def counted(monkeypatch):
    hasher = CountingHasher(passwords._hasher)
    monkeypatch.setattr(passwords, "_hasher", hasher)
    return hasher


def attempt(store, name, password=PASSWORD):
    try:
        return sign_in(store, name, password).id
    except TrackerError as exc:
        return exc


def test_forty_parallel_sign_ins_never_run_more_password_checks_at_once_than_the_gate(
    store, counted, monkeypatch
):
    counted.hold_s = 0.5
    monkeypatch.setattr(passwords, "GATE", passwords.Gate(slots=2, queue=8, wait_s=30))
    names = ["it.office", "nobody.here"] * 20  # real and unknown names alike
    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(pool.map(lambda n: attempt(store, n, "wrong password!"), names))
    assert counted.peak <= 2  # 2 x 64 MiB at most, not 40 x 64 MiB
    busy = [a for a in answers if isinstance(a, PasswordChecksBusy)]
    assert len(busy) >= 40 - 10 and all("請稍候" in a.message_zh for a in busy)
    assert counted.checks == 40 - len(busy)  # a refused attempt checked nothing


def test_a_real_and_an_unknown_name_answer_alike_through_five_failures_and_the_lock(store, counted):
    now = clock.now()
    for name in ("it.office", "no.such.user"):
        answers = [
            str(pytest.raises(SignInFailed, sign_in, store, name, "wrong", now=now).value)
            for _ in range(6)
        ]
        assert answers[:4] == ["帳號或密碼錯誤 (wrong username or password)"] * 4
        assert answers[4] == answers[5] and "鎖定至" in answers[4], name
        if name == "it.office":
            first = answers
    assert answers == first  # same words, same lock time: nothing tells the two apart
    assert counted.checks == 12  # one Argon2id check per attempt, locked or not, known or not


def test_the_lock_message_gives_the_date_as_well_as_the_time(store):
    now = clock.now().replace(hour=23, minute=50)
    for _ in range(4):
        pytest.raises(SignInFailed, sign_in, store, "it.office", "wrong", now=now)
    locked = pytest.raises(SignInFailed, sign_in, store, "it.office", "wrong", now=now).value
    until = (now + timedelta(minutes=15)).astimezone(clock.TAIPEI)  # past midnight: the next day
    assert f"鎖定至 {roc_short(until.date())} {until:%H:%M}" in locked.message_zh


def test_the_right_password_works_again_once_the_lock_has_passed(store):
    now = clock.now()
    for _ in range(5):
        pytest.raises(SignInFailed, sign_in, store, "it.office", "wrong", now=now)
    pytest.raises(SignInFailed, sign_in, store, "it.office", PASSWORD, now=now)
    assert sign_in(store, "it.office", PASSWORD, now=now + timedelta(minutes=16)).id == "it.office"
