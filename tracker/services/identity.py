"""A keyed digest of a full national ID, so two records can be matched on the full number (5.7)
while only the masked form is ever stored or shown.

The digest is HMAC-SHA256 under a random key kept in the data folder (``id-digest.key``, created on
first use, copied by backups with the folder).  A national ID has few enough values to be found from
a plain hash by trying them all; without the key the digest gives nothing away, so a digest in the
activity log or an auditor's package reveals no number.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import weakref

from tracker.core.errors import StoreError
from tracker.core.fileio import atomic_write
from tracker.core.idnumbers import is_masked_id, is_valid_national_id
from tracker.domain.accounts import NiaAccount
from tracker.domain.vendors import VendorStaff
from tracker.storage.store import Store

KEY_FILE = "id-digest.key"
_KEY_BYTES = 32
_memory_keys: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def national_id_digest(store: Store, national_id: str) -> str:
    """The digest of a valid full national ID, or ``""`` for a masked, empty or invalid one."""
    text = (national_id or "").strip().upper()
    if not text or is_masked_id(text) or not is_valid_national_id(text):
        return ""
    return hmac.new(_key(store), text.encode("ascii"), hashlib.sha256).hexdigest()


def _key(store: Store) -> bytes:
    if store.memory:
        return _memory_keys.setdefault(store, secrets.token_bytes(_KEY_BYTES))
    path = store.root / KEY_FILE
    if not path.exists():
        with store.locked():  # one key per folder, also with several processes
            if not path.exists():
                _refuse_lost_key(store)
                atomic_write(path, secrets.token_bytes(_KEY_BYTES))
                os.chmod(path, 0o600)
    key = path.read_bytes()
    if len(key) != _KEY_BYTES:
        raise StoreError(
            f"身分證號比對金鑰檔 {KEY_FILE} 已損壞，請自備份還原",
            f"{path} is not a {_KEY_BYTES}-byte key",
        )
    return key


def _refuse_lost_key(store: Store) -> None:
    """A missing key while digests made with it are stored: a new key would match nobody.

    Without this check a deleted key file would quietly turn every later 5.7 comparison on the
    full number into "different person"; the folder has to be restored from a backup instead.
    """
    if any(s.id_digest for s in store.all(VendorStaff)) or any(
        a.holder_id_digest for a in store.all(NiaAccount)
    ):
        raise StoreError(
            f"身分證號比對金鑰檔 {KEY_FILE} 遺失，但已有以此金鑰比對的紀錄；請自備份還原此檔",
            f"{KEY_FILE} is missing while records hold digests made with it: restore it from a backup",
        )
