"""Forged backups are refused on both shared backends: the data folder and PostgreSQL.

The attacks of issue 15 (findings 9 and 10) on a real archive of each
backend: the users' records edited inside the archive, every hash of the
manifest recomputed, and the manifest left unsigned, signed under another
key, or even signed with the installation's own key.  The folder's archive
holds the users table (resealed with its checkpoint checksum, as an attacker
who knows the format would); a database deployment's holds the rows in
``data/database/records.jsonl``.  Either way only the activity log can tell,
and the restore must leave the target as it was: empty folders, an empty
database.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from tests.backends.conftest import Backend
from tracker.core.config import Settings
from tracker.ops.archive import MANIFEST
from tracker.ops.backup import create_backup
from tracker.ops.backupkey import backup_key, manifest_mac
from tracker.ops.restore import BackupInvalid, restore_backup
from tracker.ops.verify import verify_backup
from tracker.services.sign_in import SignInFailed, sign_in
from tracker.services.users import create_user
from tracker.storage.checkpoint import encode_table

PASSWORD = "real-passphrase-99"
FORGED_PASSWORD = "forged-passphrase-1234"
RECORDS = "data/database/records.jsonl"


@pytest.fixture
def archive(shared: Backend, tmp_path) -> Path:
    """A backup of an installation with one IT-office account, written by ``backup create``."""
    store = shared.open()
    create_user(store, "cli", username="it.office", role="it_office", password=PASSWORD)
    out = tmp_path / "nightly.zip"
    create_backup(shared.settings, out, store=store)
    return out


@pytest.fixture
def target(shared: Backend, tmp_path, request) -> Backend:
    """Empty folders (and, for PostgreSQL, an empty database) of the same installation's key."""
    settings = replace(
        Settings.for_folder(tmp_path / "restored"),
        backup_key_file=shared.settings.backup_key_path,
    )
    if shared.name == "postgres":
        server = request.getfixturevalue("pg_server")
        name = "t_restored_" + hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:12]
        server.drop_database(name)
        request.addfinalizer(lambda: server.drop_database(name))
        settings = replace(settings, database_url=server.create_database(name))
    backend = Backend(shared.name, settings)
    request.addfinalizer(backend.close)
    return backend


def forge(archive: Path, out: Path, edit, sign_with: bytes | None) -> Path:
    """``archive`` with its users edited by ``edit(users)`` (a dict by id) and the manifest's
    hashes recomputed; signed with ``sign_with`` when given."""
    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read(MANIFEST))
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    if RECORDS in members:
        members[RECORDS] = _edited_rows(members[RECORDS], edit)
    else:
        _edit_users_table(members, edit)
    for entry in manifest["files"]:
        data = members[entry["path"]]
        entry.update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
    manifest.pop("hmac", None)
    if sign_with is not None:
        manifest["hmac"] = manifest_mac(sign_with, manifest)
    members[MANIFEST] = json.dumps(manifest).encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out


def _edited_rows(raw: bytes, edit) -> bytes:
    """The database's exported rows with the users' documents edited; a new user's row
    copies another's columns, with ``seq`` 0 (a row no log line could have written)."""
    rows = [json.loads(line) for line in raw.splitlines()]
    users = {r["id"]: r["doc"] for r in rows if r["collection"] == "users"}
    edit(users)
    template = next(r for r in rows if r["collection"] == "users")
    kept = [r for r in rows if r["collection"] != "users"]
    for record_id, doc in users.items():
        old = next((r for r in rows if r["collection"] == "users" and r["id"] == record_id), None)
        kept.append(dict(old or template, id=record_id, doc=doc, seq=old["seq"] if old else 0))
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in kept)


def _edit_users_table(members: dict, edit) -> None:
    """The folder's users table edited and resealed with its checkpoint checksum."""
    table = next(n for n in members if n.startswith("data/tables/users/"))
    doc = json.loads(members[table])
    edit(doc["users"])
    mark = doc["_checkpoint"]["1"]
    members[table], written = encode_table("users", doc["users"], mark["seq"], mark["hash"])
    listing = json.loads(members["data/checkpoint.json"])
    listing["tables"][table.removeprefix("data/tables/").removesuffix(".json")] = written.listing()
    members["data/checkpoint.json"] = json.dumps(listing).encode()


def add_intruder(users: dict) -> None:
    from argon2 import PasswordHasher

    users["intruder"] = dict(
        users["it.office"], id="intruder", password_hash=PasswordHasher().hash(FORGED_PASSWORD)
    )


def promote(users: dict) -> None:
    users["it.office"]["role"] = "manager"


def assert_left_empty(target: Backend) -> None:
    """Nothing of a refused restore remains: no folder content, no row, no log line."""
    for folder in (target.settings.data_dir, target.settings.evidence_dir):
        assert not folder.exists() or not any(folder.iterdir()), folder
    if target.settings.database_url:
        with psycopg.connect(target.settings.database_url) as conn:
            tables = conn.execute("SELECT to_regclass('tracker.records')").fetchone()[0]
            if tables is not None:
                counts = conn.execute(
                    "SELECT (SELECT count(*) FROM tracker.records), "
                    "(SELECT count(*) FROM tracker.activity_log)"
                ).fetchone()
                assert counts == (0, 0)


@pytest.mark.parametrize("signed", ["unsigned", "other key"])
def test_a_forged_user_with_recomputed_hashes_neither_verifies_nor_restores(
    shared, archive, target, tmp_path, signed
):
    other_key = None if signed == "unsigned" else os.urandom(32)
    forged = forge(archive, tmp_path / "forged.zip", add_intruder, other_key)
    check = verify_backup(forged, backup_key(shared.settings))
    assert not check.ok and "金鑰驗證碼" in check.problems[0]
    with pytest.raises(BackupInvalid):
        restore_backup(forged, target.settings)
    assert_left_empty(target)


def test_an_archive_verifies_only_where_its_backup_key_is(shared, archive, tmp_path):
    assert verify_backup(archive, backup_key(shared.settings)).ok
    assert "金鑰驗證碼不符" in verify_backup(archive, os.urandom(32)).problems[0]
    assert "找不到本系統的備份金鑰" in verify_backup(archive, None).problems[0]


def test_even_with_the_key_a_user_the_log_never_saw_is_not_restored(
    shared, archive, target, tmp_path
):
    key = backup_key(shared.settings)
    forged = forge(archive, tmp_path / "forged.zip", add_intruder, key)
    assert verify_backup(forged, key).ok  # whoever holds the key can sign anything …
    with pytest.raises(BackupInvalid) as refused:
        restore_backup(forged, target.settings)
    assert any("users/intruder" in p for p in refused.value.problems), refused.value.problems
    assert_left_empty(target)  # … but the records must be what the log says
    with pytest.raises(SignInFailed):
        sign_in(shared.open(), "intruder", FORGED_PASSWORD)


def test_a_role_changed_inside_the_archive_is_caught_against_the_log(
    shared, archive, target, tmp_path
):
    forged = forge(archive, tmp_path / "forged.zip", promote, backup_key(shared.settings))
    with pytest.raises(BackupInvalid) as refused:
        restore_backup(forged, target.settings)
    assert any("users/it.office" in p and "role" in p for p in refused.value.problems)
    assert_left_empty(target)


def test_an_untouched_archive_restores_and_its_account_signs_in(archive, target):
    restore_backup(archive, target.settings)
    assert sign_in(target.open(), "it.office", PASSWORD).role == "it_office"
