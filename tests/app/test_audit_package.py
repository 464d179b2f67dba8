"""The auditor's package page: manager and IT office build and download a checkable ZIP."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from .conftest import activity_log, open_page, signed_in


@pytest.mark.parametrize("username", ["manager", "it.office"])
def test_the_package_is_built_logged_and_offered_for_download(app_settings, username):
    at = open_page(signed_in(username), "audit_package")
    at.button[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.get("download_button"), "no download offered"
    assert '"action":"audit_package_created"' in activity_log(app_settings)
    assert f'"actor":"{username}"' in activity_log(app_settings)


def test_the_package_verifies_by_its_own_sums(app_settings):
    from datetime import date

    from tracker.core import clock
    from tracker.ops.package import build_package
    from tracker.storage.blobs import BlobStore
    from tracker.storage.store import Store

    store = Store.open(app_settings)
    data = build_package(
        store, BlobStore(app_settings.evidence_dir), (date(2000, 1, 1), clock.today())
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sums = archive.read("SHA256SUMS").decode().splitlines()
        assert sums
        for line in sums:
            digest, name = line.split(maxsplit=1)
            assert hashlib.sha256(archive.read(name.lstrip("*"))).hexdigest() == digest
