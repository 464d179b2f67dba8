"""End to end in a real headless Chromium: a vendor uploads a pledge, the IT office approves it,
the manager's dashboard shows the vendor's compliance go up.

Runs ``streamlit run`` against a private copy of freshly seeded demo data.
Debian's /usr/bin/chromium is required: without it the test fails, it does not skip.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.app.helpers import foreign_markers, pledge_pdf, staff_missing_pledge
from tracker.core.config import Settings
from tracker.domain.vendors import Vendor
from tracker.services.demo_accounts import DEMO_PASSWORD
from tracker.storage.store import Store

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
IDLE = """() => !document.querySelector('[data-testid="stStatusWidget"]')
             && !document.querySelector('[data-stale="true"]')
             && !document.querySelector('[data-testid="stSkeleton"]')"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def app_server(demo_root: Path, tmp_path: Path):
    """``streamlit run streamlit_app.py`` on a free port over a copy of the demo folder."""
    shutil.copytree(demo_root, tmp_path / "app", symlinks=True)
    settings = Settings.for_folder(tmp_path / "app")
    env = dict(
        os.environ,
        TRACKER_DATA_DIR=str(settings.data_dir),
        TRACKER_EVIDENCE_DIR=str(settings.evidence_dir),
        TRACKER_TRUST_DIR=str(settings.trust_dir),
    )
    port = free_port()
    log = (tmp_path / "streamlit.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "streamlit_app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, server, tmp_path / "streamlit.log")
        yield base, settings
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def wait_healthy(base: str, server: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(
                f"streamlit exited with {server.returncode}:\n{log.read_text(errors='replace')}"
            )
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(
        f"streamlit did not become healthy in {timeout} s:\n{log.read_text(errors='replace')}"
    )


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (scripts/test.sh does) to run this test"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def settle(page) -> None:
    """Wait until the app is rendered and no script run is pending."""
    page.wait_for_selector('[data-testid="stApp"]')
    page.wait_for_timeout(300)
    page.wait_for_function(IDLE, timeout=60_000)


def sign_in(page, base: str, username: str) -> None:
    page.goto(base)
    settle(page)
    page.get_by_label("帳號").fill(username)
    page.get_by_label("密碼", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登入").click()
    page.get_by_role("button", name="登出").wait_for(timeout=60_000)
    settle(page)


def sign_out(page) -> None:
    page.get_by_role("button", name="登出").click()
    page.get_by_role("button", name="登入").wait_for(timeout=60_000)
    settle(page)


def go_to(page, title: str) -> None:
    page.get_by_role("link", name=title).click()
    page.get_by_role("heading", name=re.compile(title.split("與")[0])).first.wait_for(
        timeout=60_000
    )
    settle(page)


def choose(page, label: str, option_text: str) -> None:
    """Pick the option of a selectbox whose label contains ``option_text``."""
    page.locator(f'input[aria-label="{label}"]').click()
    page.locator(f'input[aria-label="{label}"]').fill(option_text)
    page.get_by_role("option", name=re.compile(re.escape(option_text))).first.click()
    settle(page)


def vendor_percent(page, vendor_name: str) -> float:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=vendor_name).first
    return float(re.search(r"([\d.]+)%", metric.inner_text()).group(1))


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
    page.get_by_text("已上傳，待資訊室審查").first.wait_for(timeout=60_000)
    settle(page)
    assert "自動檢核通過" in page.locator("body").inner_text()
    sign_out(page)

    sign_in(page, base, "it.office")
    go_to(page, "佐證審查")
    choose(page, "審查項目", f"專案作業人員保密切結書｜{person.name}")
    page.get_by_role("button", name="核准").click()
    page.get_by_text("已核准").first.wait_for(timeout=60_000)
    settle(page)
    sign_out(page)

    sign_in(page, base, "manager")
    after = vendor_percent(page, vendor_a)
    assert after > before, (before, after)
