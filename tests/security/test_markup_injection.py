"""Issue 15, finding 4: vendor text reaches the IT office's browser as text, never as markup.

The attack, in a real Chromium against ``streamlit run``: a vendor names a staff
member with a Markdown image pointing at a beacon and uploads a pledge under a
file name full of links, colour and icon directives; the IT office opens the
review queue (the inspection reason quotes the name, the record's table the
file name), approves it, and issues the pledge form.  The beacon was fetched
by the IT office's browser before.
"""

from __future__ import annotations

import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.e2e.pages import go_to, settle, sign_in
from tests.security.live import LiveApp, free_port
from tracker.core import clock
from tracker.core.errors import InvalidInput
from tracker.documents.pledge import new_form_number, render_pledge_form
from tracker.domain.vendors import Contract
from tracker.services.evidence import upload_evidence
from tracker.services.vendors import add_staff, clean_text
from tracker.storage.blobs import BlobStore
from tracker.storage.store import Store

pytestmark = pytest.mark.browser


class Beacon:
    """An HTTP server on loopback that notes every request it gets."""

    def __init__(self) -> None:
        self.port, self.hits = free_port(), []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the base class's name
                hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"


@pytest.fixture
def beacon():
    server = Beacon()
    yield server
    server.server.shutdown()


def plant(settings, beacon: Beacon) -> tuple[str, str]:
    """A vendor's hostile staff name and an uploaded pledge with a hostile file name."""
    store = Store.open(settings)
    contract = next(c for c in store.all(Contract, vendor="v-a"))
    name = f"![x]({beacon.url('name.png')})"
    person = add_staff(
        store,
        "vendor.a",
        contract_id=contract.id,
        name=name,
        national_id="A123456789",
        start=date(2025, 1, 2),
    )
    filename = f":red[已核准] :material/verified: [更新]({beacon.url('file')}) <b>粗</b>.pdf"
    other = render_pledge_form(  # a pledge of someone else: the reason quotes the missing name
        form_number=new_form_number(),
        staff_name="王小明",
        vendor_name="北辰資訊股份有限公司",
        contract_title=contract.title,
        issued_on=clock.today(),
    )
    upload_evidence(
        store,
        BlobStore(settings.evidence_dir),
        "vendor.a",
        kind="staff_pledge",
        data=other,
        filename=filename,
        obligation_id="8.8",
        subject_kind="vendor_staff",
        subject_id=person.id,
        vendor_scope="v-a",
    )
    return name, filename


def choose(page, label: str, text: str) -> None:
    """Pick the option of a selectbox whose text contains ``text`` (any characters)."""
    page.locator(f'input[aria-label="{label}"]').click()
    page.locator(f'input[aria-label="{label}"]').fill(text)
    page.get_by_role("option").filter(has_text=text).first.click()
    settle(page)


def read(page) -> str:
    """The page's text as a person reads it (word joiners are invisible)."""
    return page.locator("body").inner_text().replace("\u2060", "")


def no_live_markup(page, beacon: Beacon) -> None:
    html = page.content()
    assert f"127.0.0.1:{beacon.port}" not in "".join(
        page.eval_on_selector_all("img, a", "els => els.map(e => e.src || e.href)")
    )
    assert "<b>粗</b>" not in html  # raw HTML stays text
    assert not page.locator('[data-testid="stIconMaterial"]:text("verified")').count()
    assert beacon.hits == []


def test_vendor_text_is_shown_as_text_on_the_it_offices_pages(
    demo_root, tmp_path, chromium, beacon
):
    with LiveApp(demo_root, tmp_path) as app:
        name, filename = plant(app.settings, beacon)
        page = chromium.new_page(viewport={"width": 1400, "height": 1000})
        sign_in(page, app.base, "it.office")
        go_to(page, "佐證審查")
        choose(page, "審查項目", name)
        page.get_by_text("佐證資料明細").click()
        settle(page)
        body = read(page)
        assert f"找不到預期文字：{name}" in body  # the reason, word for word
        assert ":red[已核准]" in body and ":material/verified:" in body
        no_live_markup(page, beacon)
        page.get_by_text("我已檢視上列注意事項").click()  # the check's reasons are attention points
        settle(page)
        page.get_by_role("button", name="核准").click()
        page.get_by_text("已核准").first.wait_for(timeout=60_000)
        settle(page)
        assert name in read(page)
        no_live_markup(page, beacon)
        go_to(page, "保密切結書")
        choose(page, "專案作業人員", name)
        page.get_by_role("button", name="產生切結書").click()
        page.get_by_text("之切結書，表單編號").first.wait_for(timeout=60_000)
        settle(page)
        assert name in read(page)
        no_live_markup(page, beacon)


@pytest.mark.parametrize("hidden", ["\u202e", "\u200b", "\u2066", "\ufeff", "\u00ad"])
def test_names_and_text_fields_refuse_invisible_format_characters(hidden):
    with pytest.raises(InvalidInput, match="不可見的格式字元"):
        clean_text(f"王小明{hidden}fdp.exe", "姓名", "name")
