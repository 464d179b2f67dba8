"""End to end in a real headless Chromium: a vendor uploads a pledge, the IT office approves it,
the manager's dashboard shows the vendor's compliance go up.

Runs ``streamlit run`` against a private copy of freshly seeded demo data (tests/e2e/conftest.py).
"""

from __future__ import annotations

import pytest

from tests.app.helpers import foreign_markers, pledge_pdf, staff_missing_pledge
from tests.e2e.pages import choose, go_to, settle, sign_in, sign_out
from tracker.domain.vendors import Vendor
from tracker.storage.store import Store

pytestmark = pytest.mark.browser


def vendor_percent(page, vendor_name: str) -> float:
    """The vendor's 合規率 in the manager's 需要處理的廠商 table (its last column)."""
    row = page.locator('[data-testid="stTable"] tr').filter(has_text=vendor_name).first
    return float(row.locator("td").last.inner_text())


def test_a_pledge_goes_from_vendor_to_approval_to_the_managers_dashboard(
    app_server, browser, tmp_path
):
    base, settings = app_server
    store = Store.open(settings)
    vendor_a = store.require(Vendor, "v-a").name
    person = staff_missing_pledge(store, "v-a")
    pdf = tmp_path / f"切結書-{person.name}.pdf"
    pdf.write_bytes(pledge_pdf(store, person))
    foreign_texts, _ = foreign_markers(store, "v-a")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})

    sign_in(page, base, "manager")
    before = vendor_percent(page, vendor_a)
    sign_out(page)

    sign_in(page, base, "vendor.a")
    for title in ("專案作業人員", "專用電腦", "資安事件通報", "合規狀態與上傳"):
        go_to(page, title)
        body = page.locator("body").inner_text()
        assert not [t for t in foreign_texts if t in body], title
    page.get_by_role("tab", name="上傳佐證資料").click()
    choose(page, "要上傳佐證的項目", f"8.8 簽訂保密條款及切結書 — 專案作業人員 {person.name}")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(pdf))
    page.get_by_role("button", name="上傳並自動檢核").click()
    page.get_by_text(f"已上傳 專案作業人員 {person.name}").first.wait_for(timeout=60_000)
    settle(page)
    assert "未偵測到數位簽章" in page.locator("body").inner_text()
    sign_out(page)

    sign_in(page, base, "it.office")
    go_to(page, "佐證審查")
    choose(page, "審查項目", f"專案作業人員保密切結書｜{person.name}")
    assert "未偵測到數位簽章" in page.locator("body").inner_text()
    page.get_by_text("我已檢視上列注意事項").click()
    settle(page)
    page.get_by_role("button", name="核准").click()
    page.get_by_text("已核准").first.wait_for(timeout=60_000)
    settle(page)
    sign_out(page)

    sign_in(page, base, "manager")
    after = vendor_percent(page, vendor_a)
    assert after > before, (before, after)
