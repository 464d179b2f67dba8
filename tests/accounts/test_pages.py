"""The two pages in Streamlit's AppTest: the account manager works, a manager only reads."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.core import clock
from tracker.domain.accounts import NiaAccount
from tracker.domain.audits import SelfAudit
from tracker.services import audit_findings, audit_sampling, log_imports, users
from tracker.storage.blobs import BlobStore
from tracker.storage.store import Store

from .conftest import (
    AGENCY_ID,
    HOLDER_ID,
    PASSWORD,
    VENDOR_STAFF_ID,
    activate,
    audit_ready,
    by_label,
    page,
    query_log_csv,
)


@pytest.mark.parametrize("name", ["nia_accounts.py", "self_audits.py"])
def test_a_manager_sees_the_tables_but_no_buttons_or_forms(app_store, settings, name):
    activate(app_store, date(2025, 1, 2))
    audit_ready(app_store, settings)
    at = page(name, "boss")
    assert not at.exception and not at.error
    assert len(at.button) == 0 and len(at.get("form")) == 0 and len(at.get("download_button")) == 0
    assert "此頁僅供檢視" in " ".join(c.value for c in at.caption)
    assert len(at.dataframe) + len(at.table) >= 1


@pytest.mark.parametrize("name", ["nia_accounts.py", "self_audits.py"])
def test_a_user_of_another_role_is_refused(app_store, name):
    users.create_user(app_store, "t", username="it1", role="it_office", password=PASSWORD)
    at = page(name, "it1")
    assert [e.value for e in at.error] == ["您沒有權限檢視此頁面"]


def test_the_account_manager_drafts_an_application_and_a_vendor_staff_member_is_refused(app_store):
    at = page("nia_accounts.py", "admin1")
    by_label(at.text_input, "使用者姓名").input("陳怡君")
    by_label(at.text_input, "身分證統一編號（僅保存遮蔽後號碼）").input(HOLDER_ID)
    by_label(at.text_input, "使用單位（科、室、組）").input("社會救助科")
    by_label(at.text_area, "承辦業務").input("低收入戶資格審核")
    next(b for b in at.button if b.label == "建立申請").click()
    at.run()
    assert not at.exception and not at.error
    [account] = Store.open(app_store.settings).all(NiaAccount)
    assert account.holder == "陳怡君" and account.state == "draft" and HOLDER_ID not in str(account)

    by_label(at.text_input, "使用者姓名").input("王小明")
    by_label(at.text_input, "身分證統一編號（僅保存遮蔽後號碼）").input(VENDOR_STAFF_ID)
    by_label(at.text_input, "使用單位（科、室、組）").input("資訊室")
    by_label(at.text_area, "承辦業務").input("系統維運")
    next(b for b in at.button if b.label == "建立申請").click()
    at.run()
    assert any("依第五點第七款" in e.value for e in at.error)


def test_an_audit_is_opened_and_closed_from_the_page_and_its_record_offered_for_download(
    app_store, settings
):
    logs, blobs = log_imports.log_store(settings), BlobStore(settings.evidence_dir)
    log_imports.import_query_log(
        app_store,
        logs,
        blobs,
        "t",
        agency_id=AGENCY_ID,
        data=query_log_csv(12_345, date(2025, 1, 1)),
        filename="q.csv",
    )
    at = page("self_audits.py", "admin1")
    at.text_input(key="open_start").input("114/01/01")
    at.text_input(key="open_end").input("114/06/30")
    at.run()
    assert [m.value for m in at.metric][:2] == ["12,345", "13"]
    at.text_input(key="open_seed").input("42")
    next(b for b in at.button if b.label == "開啟稽核").click()
    at.run()
    assert not at.exception
    [audit] = Store.open(settings).all(SelfAudit)
    assert (audit.population, audit.sample_size, audit.seed) == (12_345, 13, 42)
    assert next(b for b in at.button if b.label == "結案並產生抽查紀錄").disabled
    rows = [
        (r.id, "legitimate", "", "SA-1")
        for r in audit_sampling.sampled_records(app_store, audit.id)
    ]
    audit_findings.record_findings(app_store, "admin1", rows)
    at.run()
    next(b for b in at.button if b.label == "結案並產生抽查紀錄").click()
    at.run()
    assert not at.exception and not at.error
    assert Store.open(settings).get(SelfAudit, audit.id).closed_on == clock.today()
    assert len(at.get("download_button")) == 2
