"""The app tests' fixtures (a private copy of the demo folder, a store on it), and a headless
Chromium (Debian's /usr/bin/chromium, as tests/e2e uses)."""

from pathlib import Path

import pytest

from tests.app.conftest import app_settings, store  # noqa: F401  (fixtures, found by name)
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium to run this test")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
