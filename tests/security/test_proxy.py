"""Issue 15, finding 12: the README's nginx configuration, run as written, in front of the app.

The attacks of the finding, through the proxy: the app framed by another site
(no frame-ancestors, no X-Frame-Options), content sniffing (no nosniff), no
CSP, ``/_stcore/metrics`` open to anyone, and nothing limiting how fast one
address opens connections.  The README's block is taken between its markers
and only its ports and certificate paths are replaced, so a change there that
breaks any of this fails here.  Debian's nginx is required (scripts/test.sh
installs nginx-light): without it the test fails, it does not skip.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests
import urllib3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.pages import settle
from tests.security.live import ROOT, LiveApp, free_port
from tracker.services.demo_accounts import DEMO_PASSWORD

pytestmark = pytest.mark.browser
urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)


def readme_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- nginx-config: start -->", 1)[1].split("<!-- nginx-config: end -->")[0]
    return block.strip().removeprefix("```nginx").removesuffix("```")


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "proxy.crt", folder / "proxy.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def nginx_version() -> tuple[int, ...]:
    out = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr
    return tuple(int(n) for n in re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", out).groups())


def configure(block: str, folder: Path, app_port: int, https_port: int) -> Path:
    cert, key = self_signed(folder)
    swaps = {
        "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
        "listen 80;": f"listen 127.0.0.1:{free_port()};",
        "127.0.0.1:8501": f"127.0.0.1:{app_port}",
        "/etc/ssl/certs/tracker.sw.gov.taipei.crt": str(cert),
        "/etc/ssl/private/tracker.sw.gov.taipei.key": str(key),
    }
    for old, new in swaps.items():
        assert old in block, f"the README's nginx block no longer has {old!r}"
        block = block.replace(old, new)
    if nginx_version() < (1, 25, 1):  # the README says so in a comment
        block = re.sub(r"^\s*http2 on;.*$", "", block, flags=re.M)
    temp = "".join(
        f"{k}_temp_path {folder}/{k};\n"
        for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = folder / "nginx.conf"
    conf.write_text(
        f"{user}worker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
        f"events {{}}\nhttp {{\naccess_log {folder}/access.log;\n{temp}{block}\n}}\n",
        encoding="utf-8",
    )
    return conf


@pytest.fixture
def proxy(demo_root, tmp_path):
    if shutil.which("nginx") is None:
        pytest.fail("nginx is missing: install Debian's nginx-light (scripts/test.sh does)")
    with LiveApp(demo_root, tmp_path) as app:
        https_port = free_port()
        conf = configure(readme_block(), tmp_path, app.port, https_port)
        checked = subprocess.run(["nginx", "-t", "-c", str(conf)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        server = subprocess.Popen(["nginx", "-c", str(conf), "-g", "daemon off;"])
        base = f"https://127.0.0.1:{https_port}"
        try:
            for _ in range(100):
                try:
                    requests.get(f"{base}/_stcore/health", verify=False, timeout=2)
                    break
                except requests.RequestException:
                    time.sleep(0.1)
            yield base, app
        finally:
            server.terminate()
            server.wait(timeout=10)


def test_every_page_comes_with_the_security_headers(proxy):
    base, _ = proxy
    for path in ("/", "/_stcore/health", "/static/does-not-exist.js"):
        headers = requests.get(base + path, verify=False, timeout=10).headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
        assert "img-src 'self' data: blob:" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Strict-Transport-Security"].startswith("max-age=")


def test_the_metrics_streamlit_cannot_turn_off_are_not_served_through_the_proxy(proxy):
    base, app = proxy
    assert requests.get(f"{app.base}/_stcore/metrics", timeout=10).status_code == 200  # the app's
    assert requests.get(f"{base}/_stcore/metrics", verify=False, timeout=10).status_code == 404


def test_one_address_opening_connections_quickly_is_slowed_down(proxy):
    base, _ = proxy
    answers = [
        requests.get(f"{base}/_stcore/stream", verify=False, timeout=10).status_code
        for _ in range(40)
    ]
    assert 429 in answers and answers[:10].count(429) == 0  # a burst is allowed, a flood is not


def test_the_app_works_in_chromium_under_the_content_security_policy(proxy):
    base, _ = proxy
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--ignore-certificate-errors"]
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.add_init_script(
            "window.__csp = []; document.addEventListener('securitypolicyviolation',"
            " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sample));"
        )
        page.goto(base)
        settle(page)
        page.get_by_label("帳號").fill("manager")
        page.get_by_label("密碼", exact=True).fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登入").click()
        page.get_by_role("button", name="登出").wait_for(timeout=60_000)
        settle(page)
        page.locator(
            '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg'
        ).first.wait_for(timeout=60_000)
        violations = page.evaluate("window.__csp")
        browser.close()
    # Streamlit's index.html has one inline script, for prerender services; the CSP blocks it
    # and the app does not need it (README, deployment notes)
    needed = [v for v in violations if "window.prerenderReady" not in v]
    assert needed == [], violations
