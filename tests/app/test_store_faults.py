"""The web app on a damaged or full folder: a repair is shown to the IT office, a full disk is a message."""

from __future__ import annotations

import errno

from tracker.domain.enums import ReviewState
from tracker.domain.evidence import Evidence
from tracker.storage.store import Store

from .conftest import open_page, rendered_text, signed_in


def test_the_it_office_sees_that_a_table_was_rebuilt_from_the_log_and_a_manager_does_not(
    app_settings,
):
    Store.open(app_settings).checkpoint()
    table = app_settings.data_dir / "tables" / "evidence" / "v-v-b.json"
    table.unlink()
    office = signed_in("it.office")
    assert any("由操作日誌重建" in w.value for w in office.warning), rendered_text(office)
    manager = signed_in("manager")
    assert not any("由操作日誌重建" in w.value for w in manager.warning)


def test_an_approval_on_a_full_disk_is_a_message_in_zh_tw_and_changes_nothing(
    app_settings, store, monkeypatch
):
    from tracker.core import fileio

    at = open_page(signed_in("it.office"), "review_queue")
    evidence = store.require(Evidence, next(b for b in at.selectbox if b.label == "審查項目").value)
    lines = store.log.head().count

    def full(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fileio.os, "write", full)
    at.button(key="approve").click().run()
    monkeypatch.undo()
    assert not at.exception
    assert any("磁碟空間不足" in e.value for e in at.error), rendered_text(at)
    assert store.require(Evidence, evidence.id).state == ReviewState.SUBMITTED
    assert store.log.head().count == lines
