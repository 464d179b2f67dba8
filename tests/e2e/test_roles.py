"""Every role's pages in a real Chromium at 1024 and 1440 px: they render, speak zh-TW, and their
metric labels and tables fit the width; and a choice made right after a change stays on its record.

Screenshots of each page at each width are written to ``$TRACKER_SCREENSHOTS`` when it is set (a
folder to look at), else to the test's temporary folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.app.helpers import pledge_pdf
from tests.e2e.pages import choose, settle, sign_in
from tracker.domain.evidence import Evidence
from tracker.domain.vendors import VendorStaff
from tracker.storage.store import Store

pytestmark = pytest.mark.browser

ROLES = ("manager", "it.office", "account.admin", "unit.head", "vendor.a")
WIDTHS = (1440, 1024)
# Streamlit's own English, and the subtitles and second lines the pages used to carry.
ENGLISH = re.compile(
    r"Drag and drop|per file|Browse files|\bUpload\b|Press (Enter|Ctrl|⌘)|Choose an? option"
    r"|No options|read-only|\bNone\b|\b(Vendor|Project|Review|Security|Dedicated|Self-audit)\b"
)
FITS = """els => els.filter(e => e.scrollWidth > e.clientWidth + 2).map(e => e.innerText.slice(0, 40))"""


def shots_folder(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("TRACKER_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def page_titles(page) -> list[str]:
    """The navigation's page titles (each link's text without its icon's ligature name)."""
    links = page.locator('[data-testid="stSidebarNavLink"]')
    return [links.nth(i).inner_text().strip().split("\n")[-1] for i in range(links.count())]


def overflowing(page, selector: str) -> list[str]:
    return page.locator(selector).evaluate_all(FITS)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_a_role_renders_in_zh_tw_and_fits_1440_and_1024_px(
    app_server, browser, tmp_path, role
):
    base, _ = app_server
    folder = shots_folder(tmp_path)
    for width in WIDTHS:
        page = browser.new_page(viewport={"width": width, "height": 900})
        sign_in(page, base, role)
        titles = page_titles(page) or ["（單一頁面）"]
        for n, title in enumerate(titles):
            if n:
                page.locator('[data-testid="stSidebarNavLink"]').nth(n).click()
                settle(page)
            slug = re.sub(r"\W+", "_", title)
            page.screenshot(path=str(folder / f"{role}-{n}-{slug}-{width}.png"))
            assert not page.locator('[data-testid="stException"]').count(), (role, title)
            body = page.locator('[data-testid="stMain"]').inner_text()
            assert not ENGLISH.findall(body), (role, title, width, ENGLISH.findall(body))
            cut = overflowing(page, '[data-testid="stMetricLabel"]')
            assert not cut, (role, title, width, cut)
            wide = overflowing(page, '[data-testid="stTable"]')
            assert not wide, (role, title, width, wide)
        page.close()


def test_the_file_picker_and_field_hints_are_drawn_in_zh_tw(app_server, browser):
    base, _ = app_server
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    sign_in(page, base, "vendor.a")
    page.get_by_role("tab", name="上傳佐證資料").click()
    settle(page)
    choose(page, "要上傳佐證的項目", "8.8")
    zone = page.locator('[data-testid="stFileUploaderDropzone"]')
    texts = zone.evaluate(
        """z => [...z.querySelectorAll('p, span')].map(e =>
             getComputedStyle(e, '::after').content)"""
    )
    assert '"選擇檔案"' in texts and any("每個檔案上限" in t for t in texts)
    sizes = zone.evaluate(
        """z => [...z.querySelectorAll('[data-testid="stFileUploaderDropzoneInstructions"] span')]
             .map(e => getComputedStyle(e).fontSize)"""
    )
    assert sizes and set(sizes) == {"0px"}, "the English limit line is not drawn"


def test_an_upload_right_after_another_stays_on_the_item_chosen_in_the_browser(
    app_server, browser, tmp_path
):
    """The chosen item's label changes with its status after an upload; the browser must not fall
    back to the first item for the next upload."""
    base, settings = app_server
    store = Store.open(settings)
    person = next(
        s
        for s in store.all(VendorStaff, vendor="v-a")
        if s.end is None and s.touches_sensitive_data
    )
    pdf = tmp_path / "切結書.pdf"
    pdf.write_bytes(pledge_pdf(store, person))
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    sign_in(page, base, "vendor.a")
    page.get_by_role("tab", name="上傳佐證資料").click()
    settle(page)
    choose(page, "要上傳佐證的項目", f"8.8 簽訂保密條款及切結書 — 專案作業人員 {person.name}")
    for _ in range(2):
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(pdf))
        page.get_by_role("button", name="上傳並自動檢核").click()
        page.get_by_text(f"已上傳 專案作業人員 {person.name}").first.wait_for(timeout=60_000)
        settle(page)
    mine = [
        e for e in Store.open(settings).all(Evidence, vendor="v-a") if e.uploaded_by == "vendor.a"
    ]
    assert [(e.subject_id, e.kind) for e in mine] == [(person.id, "staff_pledge")] * 2
