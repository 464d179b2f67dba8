"""What a person does in the browser: sign in, open a page, choose, wait for the app to settle."""

from __future__ import annotations

import re

from tracker.services.demo_accounts import DEMO_PASSWORD

IDLE = """() => !document.querySelector('[data-testid="stStatusWidget"]')
             && !document.querySelector('[data-stale="true"]')
             && !document.querySelector('[data-testid="stSkeleton"]')"""


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
