"""Rebuilding tables from the log: credentials kept, a purged log rebuilt from its base snapshot."""

from __future__ import annotations

import errno
import shutil
from datetime import datetime, timedelta

import pytest

from tests.storage.conftest import run_cli, vendor
from tracker.core import clock
from tracker.core.errors import IntegrityError, StoreError
from tracker.domain.users import AppUser
from tracker.domain.vendors import Vendor
from tracker.services import sign_in, users
from tracker.storage.store import Store


@pytest.fixture
def with_users(settings):
    store = Store.open(settings)
    users.create_user(store, "t", username="it.office", role="it_office", password="first-pass-1")
    users.set_password(store, "t", "it.office", "second-pass-2")
    store.put(vendor(1), actor="t", action="create")
    return settings


def test_a_password_hash_survives_a_rebuild_of_every_table_from_the_log(with_users):
    rebuilt = run_cli(with_users, "store", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    store = Store.open(with_users)
    assert sign_in.sign_in(store, "it.office", "second-pass-2").id == "it.office"
    assert "argon2" not in (with_users.data_dir / "activity-log.jsonl").read_text()


def test_a_deleted_users_table_comes_back_with_its_credentials(with_users):
    Store.open(with_users).checkpoint()
    (with_users.data_dir / "tables" / "users" / "all.json").unlink()
    store = Store.open(with_users)
    assert sign_in.sign_in(store, "it.office", "second-pass-2").id == "it.office"
    assert store.recoveries()[0]["action"] == "store_table_rebuilt"


def test_a_lost_secrets_file_is_named_when_a_table_cannot_get_its_credential_back(with_users):
    (with_users.data_dir / "secrets.jsonl").unlink()
    result = run_cli(with_users, "store", "check")
    assert result.returncode == 1
    assert "users/it.office.password_hash" in result.stderr


def aged_store(settings, monkeypatch) -> Store:
    """Records written seven years ago, then one today; the clock moved for the old writes."""
    now = clock.now()
    monkeypatch.setattr(clock, "now", lambda: now - timedelta(days=7 * 366))
    store = Store.open(settings)
    store.put_many([vendor(n) for n in range(5)], actor="t", action="create")
    monkeypatch.undo()
    store.put(vendor(9), actor="t", action="create")
    return store


def purge(store: Store) -> None:
    cutoff = datetime.combine(
        clock.today() - timedelta(days=5 * 366), datetime.min.time(), clock.TAIPEI
    )
    plan = store.purge_log_before(cutoff, actor="t", now=clock.now())
    assert plan is not None and plan.lines == 5


def test_after_a_purge_a_deleted_table_is_rebuilt_from_the_base_snapshot_and_the_log(
    settings, monkeypatch
):
    store = aged_store(settings, monkeypatch)
    purge(store)
    assert store.log.verify().ok
    shutil.rmtree(settings.data_dir / "tables" / "vendors")
    reopened = Store.open(settings)
    assert {v.id for v in reopened.all(Vendor)} == {"v0", "v1", "v2", "v3", "v4", "v9"}
    assert run_cli(settings, "store", "check").returncode == 0
    assert run_cli(settings, "store", "rebuild").returncode == 0
    assert len(Store.open(settings).all(Vendor)) == 6


def test_a_purged_log_without_its_base_snapshot_cannot_rebuild_and_says_so(settings, monkeypatch):
    store = aged_store(settings, monkeypatch)
    purge(store)
    (settings.data_dir / "base.json").unlink()
    (settings.data_dir / "tables" / "vendors" / "all.json").unlink()
    with pytest.raises(IntegrityError, match="base snapshot"):
        Store.open(settings).all(Vendor)


def test_a_purge_is_refused_when_a_table_differs_from_the_log(settings, monkeypatch):
    from tracker.storage.checkpoint import encode_table, read_table

    store = aged_store(settings, monkeypatch)
    store.checkpoint()
    path = settings.data_dir / "tables" / "vendors" / "all.json"
    table = read_table(path, "vendors")
    docs = dict(table.docs, v1=dict(table.docs["v1"], name="改過"))
    path.write_bytes(encode_table("vendors", docs, table.seq, table.hash)[0])
    manifest = settings.data_dir / "checkpoint.json"
    import orjson

    body = orjson.loads(manifest.read_bytes())
    body["tables"]["vendors/all"] = encode_table("vendors", docs, table.seq, table.hash)[
        1
    ].listing()
    manifest.write_bytes(orjson.dumps(body))
    with pytest.raises(StoreError, match="store check"):
        purge(Store.open(settings))
    assert Store.open(settings).log.verify().ok


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.EACCES, "permission denied"),
        (errno.EROFS, "read-only"),
        (errno.EIO, "I/O error"),
        (errno.ENOSPC, "disk is full"),
    ],
)
@pytest.mark.parametrize("where", ["write", "fsync"])
def test_an_operating_system_error_is_a_message_and_changes_nothing(
    settings, monkeypatch, code, words, where
):
    import os

    from tracker.activitylog import log as log_module
    from tracker.core import fileio

    store = Store.open(settings)
    store.put(vendor(1), actor="t", action="create")
    before = (settings.data_dir / "activity-log.jsonl").read_bytes(), store.log.head()

    def fail(*args):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(fileio.os if where == "write" else log_module.os, where, fail)
    with pytest.raises(StoreError) as raised:
        store.put(vendor(2), actor="t", action="create")
    monkeypatch.undo()
    assert words in raised.value.message_en and "資料未變更" in raised.value.message_zh
    assert ((settings.data_dir / "activity-log.jsonl").read_bytes(), store.log.head()) == before
    assert store.get(Vendor, "v2") is None and Store.open(settings).get(Vendor, "v2") is None


def test_the_user_table_is_a_redacting_collection():
    from tracker.storage.registry import collection_of

    assert collection_of(AppUser).redact == frozenset({"password_hash"})
