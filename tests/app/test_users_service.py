"""The account rules of tracker.services.users, on an in-memory store."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from tracker.core import clock
from tracker.core.errors import InvalidInput, NotFound
from tracker.domain.users import AppUser
from tracker.domain.vendors import Vendor
from tracker.services import sign_in, users
from tracker.services.demo_accounts import DEMO_PASSWORD
from tracker.storage.store import Store

PASSWORD = "長城萬里今猶在不見當年秦始皇"  # 14 characters, 42 bytes in UTF-8


@pytest.fixture
def mem() -> Store:
    store = Store.in_memory()
    store.put(Vendor("v-a", "北辰資訊股份有限公司", "04595257"), actor="t", action="seed")
    users.create_user(store, "t", username="alice", role="it_office", password=PASSWORD)
    return store


@pytest.mark.parametrize("name", ["ab", "Alice", "-alice", "alice smith", "a" * 33, "愛麗絲", ""])
def test_usernames_outside_the_pattern_are_refused(mem, name):
    with pytest.raises(InvalidInput):
        users.create_user(mem, "t", username=name, role="manager", password=PASSWORD)


def test_a_vendor_account_needs_a_known_vendor_and_other_roles_refuse_one(mem):
    with pytest.raises(InvalidInput):
        users.create_user(mem, "t", username="ven1", role="vendor", password=PASSWORD)
    with pytest.raises(InvalidInput):
        users.create_user(
            mem, "t", username="man1", role="manager", password=PASSWORD, vendor_id="v-a"
        )
    with pytest.raises(NotFound):
        users.create_user(
            mem, "t", username="ven2", role="vendor", password=PASSWORD, vendor_id="v-zz"
        )
    with pytest.raises(InvalidInput):
        users.create_user(mem, "t", username="xxx1", role="superuser", password=PASSWORD)
    assert (
        users.create_user(
            mem, "t", username="ven3", role="vendor", password=PASSWORD, vendor_id="v-a"
        ).vendor_id
        == "v-a"
    )


def test_duplicate_usernames_and_short_passwords_are_refused(mem):
    with pytest.raises(InvalidInput):
        users.create_user(mem, "t", username="alice", role="manager", password=PASSWORD)
    with pytest.raises(InvalidInput):
        users.create_user(mem, "t", username="bob", role="manager", password="short")


def test_the_password_is_stored_only_as_an_argon2id_hash(mem):
    stored = mem.get(AppUser, "alice")
    assert stored.password_hash.startswith("$argon2id$") and PASSWORD not in stored.password_hash


def test_neither_the_password_nor_its_hash_reaches_the_activity_log(mem):
    users.set_password(mem, "t", "alice", PASSWORD + "新")
    logged = str(list(mem.log.entries()))
    assert "$argon2" not in logged and PASSWORD not in logged
    changes = [e for e in mem.log.entries() if e["collection"] == "users"]
    assert changes[-1]["before"]["password_hash"] != changes[-1]["after"]["password_hash"]


def test_a_long_chinese_passphrase_counts_in_full(mem):
    """bcrypt would stop at 72 bytes; Argon2 tells two passphrases apart after that."""
    long = "我" * 30 + "甲"
    users.set_password(mem, "t", "alice", long)
    with pytest.raises(sign_in.SignInFailed):
        sign_in.sign_in(mem, "alice", "我" * 30 + "乙")
    assert sign_in.sign_in(mem, "alice", long).id == "alice"


def test_the_lock_lasts_fifteen_minutes_then_the_right_password_works(mem):
    now = clock.now()
    for _ in range(4):
        with pytest.raises(sign_in.SignInFailed, match="錯誤"):
            sign_in.sign_in(mem, "alice", "wrong-one!", now=now)
    with pytest.raises(sign_in.SignInFailed, match="鎖定"):
        sign_in.sign_in(mem, "alice", "wrong-one!", now=now)
    with pytest.raises(sign_in.SignInFailed, match="鎖定"):
        sign_in.sign_in(mem, "alice", PASSWORD, now=now + timedelta(minutes=14))
    assert (
        sign_in.sign_in(mem, "alice", PASSWORD, now=now + timedelta(minutes=16)).failed_attempts
        == 0
    )


def test_a_success_clears_earlier_failures(mem):
    for _ in range(3):
        with pytest.raises(sign_in.SignInFailed):
            sign_in.sign_in(mem, "alice", "wrong-one!")
    sign_in.sign_in(mem, "alice", PASSWORD)
    assert mem.get(AppUser, "alice").failed_attempts == 0


def test_unlock_lifts_a_lock(mem):
    for _ in range(5):
        with pytest.raises(sign_in.SignInFailed):
            sign_in.sign_in(mem, "alice", "wrong-one!")
    users.unlock_user(mem, "t", "alice")
    assert sign_in.sign_in(mem, "alice", PASSWORD).id == "alice"


def test_a_disabled_account_cannot_sign_in(mem):
    users.set_disabled(mem, "t", "alice")
    with pytest.raises(sign_in.SignInFailed, match="停用"):
        sign_in.sign_in(mem, "alice", PASSWORD)


def test_a_hash_made_with_old_parameters_is_replaced_at_sign_in(mem):
    from dataclasses import replace

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    mem.put(replace(mem.get(AppUser, "alice"), password_hash=weak), actor="t", action="seed")
    sign_in.sign_in(mem, "alice", PASSWORD)
    renewed = mem.get(AppUser, "alice").password_hash
    assert renewed != weak and not PasswordHasher().check_needs_rehash(renewed)


def test_idle_means_more_than_fifteen_minutes():
    now = clock.now()
    assert not sign_in.is_idle(None, now)
    assert not sign_in.is_idle(now - timedelta(minutes=15), now)
    assert sign_in.is_idle(now - timedelta(minutes=15, seconds=1), now)


def test_a_stored_email_belongs_to_one_account_compared_without_case(mem):
    users.create_user(
        mem, "t", username="carol", role="manager", password=PASSWORD, email="Carol@Example.org"
    )
    assert users.user_with_email(mem, "carol@example.org").id == "carol"
    assert users.user_with_email(mem, "carol") is None  # a username is no address
    with pytest.raises(InvalidInput, match="已屬於帳號 carol"):
        users.create_user(
            mem, "t", username="dave", role="manager", password=PASSWORD, email="CAROL@example.ORG"
        )
    with pytest.raises(InvalidInput, match="已屬於帳號 carol"):
        users.set_email(mem, "t", "alice", "carol@EXAMPLE.org")
    assert mem.get(AppUser, "alice").email == ""


def test_vendors_are_found_by_id_name_or_business_number(mem):
    for text in ("v-a", "北辰資訊股份有限公司", "04595257"):
        assert users.find_vendor(mem, text).id == "v-a"
    with pytest.raises(NotFound):
        users.find_vendor(mem, "立安")


def test_demo_users_are_seeded_once(mem):
    mem.put(Vendor("v-b", "立安系統整合有限公司", "22099131"), actor="t", action="seed")
    made = users.seed_demo_users(mem)
    assert {u.id for u in made} == {
        "it.office",
        "manager",
        "account.admin",
        "unit.head",
        "vendor.a",
        "vendor.b",
    }
    assert users.seed_demo_users(mem) == []
    assert sign_in.sign_in(mem, "vendor.b", DEMO_PASSWORD).vendor_id == "v-b"


def test_a_password_set_while_another_process_disables_the_account_keeps_the_disabling(settings):
    """The slow hash is made first; the account is read again under the lock before writing."""
    from tracker.services import passwords

    Store.open(settings)
    users.create_user(
        Store.open(settings), "t", username="boss", role="manager", password="first password"
    )
    real_hash = passwords.hash_password

    def hash_while_another_process_writes(password: str) -> str:
        users.set_disabled(Store.open(settings), "other", "boss", True)  # meanwhile, elsewhere
        return real_hash(password)

    mine = Store.open(settings)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "hash_password", hash_while_another_process_writes)
        users.set_password(mine, "t", "boss", "second password")
    after = Store.open(settings).require(AppUser, "boss")
    assert after.disabled, "the disabling written meanwhile is kept"
    assert PasswordHasher().verify(after.password_hash, "second password")


def test_a_one_time_password_reset_is_one_logged_change(settings):
    from tracker.domain.vendors import Vendor as V
    from tracker.services import user_admin

    store = Store.open(settings)
    store.put(V("v", "北辰資訊股份有限公司", "04595257"), actor="t", action="seed")
    user_admin.create_vendor_login(store, "it", username="vendor.x", vendor_id="v")
    before = store.log.head().seq
    changed, password = user_admin.reset_password(store, "it", "vendor.x")
    assert changed.must_change_password and store.log.head().seq == before + 1
    assert sign_in.sign_in(store, "vendor.x", password).must_change_password
