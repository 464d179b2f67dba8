"""Issue 15, findings 9 and 10: forged backups are refused; archives are written safely.

The attacks of the findings, performed on real archives: a user added to the
archived users table with the manifest's hashes recomputed (no key, another
key, and even the right key), a role changed the same way, a symlink planted
at the name the old code used for its temporary file, a world-readable archive.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from tracker.core.config import Settings
from tracker.core.errors import InvalidInput
from tracker.ops.archive import MANIFEST
from tracker.ops.backup import create_backup
from tracker.ops.backupkey import backup_key, manifest_mac
from tracker.ops.restore import BackupInvalid, restore_backup
from tracker.ops.verify import verify_backup
from tracker.services.sign_in import SignInFailed, sign_in
from tracker.services.users import create_user
from tracker.storage.checkpoint import encode_table
from tracker.storage.store import Store

FORGED_PASSWORD = "forged-passphrase-1234"


@pytest.fixture
def source(settings) -> Settings:
    store = Store.open(settings)
    create_user(store, "cli", username="it.office", role="it_office", password="real-passphrase-99")
    return settings


@pytest.fixture
def archive(source, tmp_path) -> Path:
    out = tmp_path / "nightly.zip"
    create_backup(source, out)
    return out


def forge(
    archive: Path, out: Path, edit, sign_with: bytes | None = None, *, reseal: bool = True
) -> Path:
    """Rewrite ``archive`` with the users table edited by ``edit(users)`` and every hash of the
    manifest recomputed, as the attacker did; signed with ``sign_with`` if given.  With
    ``reseal`` the table's own checkpoint checksum is recomputed too (an attacker who
    knows the format), so only the activity log can tell."""
    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read(MANIFEST))
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    table = next(n for n, d in members.items() if n.startswith("data/tables/users/"))
    doc = json.loads(members[table])
    edit(doc["users"])
    if reseal:
        mark = doc["_checkpoint"]["1"]
        members[table], written = encode_table("users", doc["users"], mark["seq"], mark["hash"])
        listing = json.loads(members["data/checkpoint.json"])
        listing["tables"][table.removeprefix("data/tables/").removesuffix(".json")] = (
            written.listing()
        )
        members["data/checkpoint.json"] = json.dumps(listing).encode()
    else:
        members[table] = json.dumps(doc).encode()
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


def add_forged_it_office(users: dict) -> None:
    from argon2 import PasswordHasher

    users["intruder"] = dict(
        users["it.office"], id="intruder", password_hash=PasswordHasher().hash(FORGED_PASSWORD)
    )


def target_of(tmp_path: Path, source: Settings) -> Settings:
    """Empty folders to restore into, on the same installation (the same backup key)."""
    return replace(
        Settings.for_folder(tmp_path / "restored"), backup_key_file=source.backup_key_path
    )


@pytest.mark.parametrize("signed", ["unsigned", "other key"])
def test_a_forged_user_with_recomputed_hashes_neither_verifies_nor_restores(
    source, archive, tmp_path, signed
):
    other_key = None if signed == "unsigned" else os.urandom(32)
    forged = forge(archive, tmp_path / "forged.zip", add_forged_it_office, other_key)
    check = verify_backup(forged, backup_key(source))
    assert not check.ok and "金鑰驗證碼" in check.problems[0]
    target = target_of(tmp_path, source)
    with pytest.raises(BackupInvalid):
        restore_backup(forged, target)
    assert not target.data_dir.exists()


def test_even_with_the_key_a_user_the_activity_log_never_saw_is_not_restored(
    source, archive, tmp_path
):
    key = backup_key(source)
    forged = forge(archive, tmp_path / "forged.zip", add_forged_it_office, key)
    assert verify_backup(forged, key).ok  # whoever holds the key can sign anything …
    target = target_of(tmp_path, source)
    with pytest.raises(BackupInvalid) as refused:
        restore_backup(forged, target)
    assert any(p.startswith("users/intruder:") for p in refused.value.problems)
    assert not target.data_dir.exists()  # … but the tables must be what the log says
    with pytest.raises(SignInFailed):
        sign_in(Store.open(source), "intruder", FORGED_PASSWORD)


def test_a_table_edited_inside_the_archive_without_its_checksum_is_refused_by_name(
    source, archive, tmp_path
):
    key = backup_key(source)
    forged = forge(archive, tmp_path / "forged.zip", add_forged_it_office, key, reseal=False)
    target = target_of(tmp_path, source)
    with pytest.raises(BackupInvalid) as refused:
        restore_backup(forged, target)
    assert any(p.startswith("tables/users/") and "檢查碼" in p for p in refused.value.problems)
    assert not target.data_dir.exists()


def test_a_role_changed_inside_the_archive_is_caught_against_the_log(source, archive, tmp_path):
    def promote(users):
        users["it.office"]["role"] = "manager"

    forged = forge(archive, tmp_path / "forged.zip", promote, backup_key(source))
    with pytest.raises(BackupInvalid) as refused:
        restore_backup(forged, target_of(tmp_path, source))
    assert any("users/it.office" in p and "role" in p for p in refused.value.problems)


def test_an_untouched_archive_still_restores_and_its_accounts_sign_in(source, archive, tmp_path):
    target = target_of(tmp_path, source)
    restore_backup(archive, target)
    assert sign_in(Store.open(target), "it.office", "real-passphrase-99").role == "it_office"


def test_the_key_is_created_0600_beside_the_data_folder_and_never_inside_a_backup(
    settings, tmp_path
):
    settings = replace(settings, backup_key_file=None)  # the default place
    out = tmp_path / "b.zip"
    create_backup(settings, out)
    key_file = settings.data_dir.with_name("data.backup-key")
    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with zipfile.ZipFile(out) as zf:
        assert not any("backup-key" in n for n in zf.namelist())
        assert key_file.read_text().strip().encode() not in b"".join(
            zf.read(n) for n in zf.namelist()
        )
    inside = replace(settings, backup_key_file=settings.data_dir / "key")
    with pytest.raises(Exception, match="不得放在資料"):
        create_backup(inside, tmp_path / "c.zip")


def test_a_key_file_others_can_read_is_refused(settings, tmp_path):
    create_backup(settings, tmp_path / "b.zip")
    settings.backup_key_path.chmod(0o644)
    with pytest.raises(Exception, match="chmod 600"):
        create_backup(settings, tmp_path / "c.zip")


def test_backup_create_does_not_write_through_a_symlink_planted_at_its_temporary_name(
    settings, tmp_path
):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "archives" / "nightly.zip"
    out.parent.mkdir()
    for name in (
        f".{out.name}.{os.getpid()}.tmp",
        f".{out.name}.tmp",
    ):  # the old, predictable names
        (out.parent / name).symlink_to(victim)
    create_backup(settings, out)
    assert victim.read_text() == "precious"
    assert zipfile.is_zipfile(out) and not out.is_symlink()


def test_the_archive_is_readable_by_its_owner_only_whatever_the_umask(settings, tmp_path):
    old = os.umask(0o022)
    try:
        out = tmp_path / "b.zip"
        create_backup(settings, out)
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_an_output_name_that_is_a_dangling_symlink_is_refused(settings, tmp_path):
    out = tmp_path / "b.zip"
    out.symlink_to(tmp_path / "elsewhere.zip")
    with pytest.raises(InvalidInput, match="已存在"):
        create_backup(settings, out)
    assert not (tmp_path / "elsewhere.zip").exists()
