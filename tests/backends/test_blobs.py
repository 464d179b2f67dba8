"""The evidence folder several replicas share: files written once, never overwritten, never half."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import subprocess
import sys
import threading

import pytest

from tracker.core.errors import NotFound, StoreError
from tracker.storage.blobs import BlobStorage, BlobStore

WRITER = """
import sys
from tracker.storage.blobs import BlobStore
data = bytes(range(256)) * 4096
for _ in range(20):
    BlobStore(sys.argv[1]).put(data)
"""


def leftovers(root) -> list[str]:
    return [p.name for p in root.rglob("*") if p.is_file() and p.name.startswith(".")]


def test_the_folder_store_is_a_blob_storage_and_reads_back_what_it_stored(tmp_path):
    blobs = BlobStore(tmp_path)
    assert isinstance(blobs, BlobStorage)
    digest = blobs.put(b"%PDF-1.7 evidence")
    assert digest == hashlib.sha256(b"%PDF-1.7 evidence").hexdigest()
    assert blobs.read(digest) == b"%PDF-1.7 evidence" and blobs.exists(digest)
    assert blobs.all() == [digest]
    mode = stat.S_IMODE(os.stat(blobs.path(digest)).st_mode)
    assert mode & 0o222 == 0  # read-only once stored


def test_two_processes_and_eight_threads_storing_the_same_bytes_leave_one_whole_file(tmp_path):
    data = bytes(range(256)) * 4096
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)]) for _ in range(2)]
    threads = [
        threading.Thread(target=lambda: [BlobStore(tmp_path).put(data) for _ in range(20)])
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    blobs = BlobStore(tmp_path)
    assert blobs.all() == [hashlib.sha256(data).hexdigest()]
    assert blobs.read(blobs.all()[0]) == data
    assert leftovers(tmp_path) == []


def test_a_file_already_in_place_is_never_replaced_and_damage_is_reported_on_read(tmp_path):
    blobs = BlobStore(tmp_path)
    digest = hashlib.sha256(b"the real bytes").hexdigest()
    blobs.path(digest).parent.mkdir(parents=True)
    blobs.path(digest).write_bytes(b"damaged")
    assert blobs.put(b"the real bytes") == digest
    assert blobs.path(digest).read_bytes() == b"damaged"
    with pytest.raises(StoreError, match="雜湊不符"):
        blobs.read(digest)


def test_a_file_that_appears_while_writing_is_kept_not_overwritten(tmp_path, monkeypatch):
    blobs = BlobStore(tmp_path)
    data = b"written by two replicas at once"
    digest = hashlib.sha256(data).hexdigest()
    real_link = os.link

    def other_replica_first(src, dst):
        with open(dst, "wb") as fh:
            fh.write(data)  # the other writer's complete file, in place a moment earlier
        os.chmod(dst, 0o440)
        return real_link(src, dst)

    monkeypatch.setattr(os, "link", other_replica_first)
    assert blobs.put(data) == digest
    assert blobs.read(digest) == data and leftovers(tmp_path) == []


def test_without_hard_links_the_file_is_renamed_into_place(tmp_path, monkeypatch):
    def no_links(src, dst):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    blobs = BlobStore(tmp_path)
    digest = blobs.put(b"on a mount without link()")
    assert blobs.read(digest) == b"on a mount without link()" and leftovers(tmp_path) == []


def test_a_full_disk_is_a_message_and_leaves_neither_the_file_nor_a_temporary_one(
    tmp_path, monkeypatch
):
    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    blobs = BlobStore(tmp_path)
    with pytest.raises(StoreError, match="寫入佐證檔案失敗：磁碟空間不足"):
        blobs.put(b"too big for the disk")
    monkeypatch.undo()
    assert blobs.all() == [] and leftovers(tmp_path) == []


def test_removing_a_file_says_whether_it_was_there_and_a_bad_id_is_refused(tmp_path):
    blobs = BlobStore(tmp_path)
    digest = blobs.put(b"kept five years")
    assert blobs.remove(digest) is True and blobs.remove(digest) is False
    with pytest.raises(NotFound):
        blobs.read(digest)
    with pytest.raises(NotFound, match="格式錯誤"):
        blobs.read("../../etc/passwd")
