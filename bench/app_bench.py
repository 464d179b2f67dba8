"""Cold start of the web app: ``streamlit run streamlit_app.py`` until the first page is on screen.

Each repetition starts a fresh server on a free port against a private copy of
a generated folder and times, from the moment the process is started:

* ``health``: ``/_stcore/health`` answers 200 (the server listens);
* ``fetch``: ``/`` has been fetched (static HTML: the app's script has not run);
* ``frontend``: a headless Chromium (below) shows Streamlit's own page frame
  (``stApp``): the browser loaded the JavaScript bundle and connected;
* ``ready``: a headless Chromium (Playwright, ``/usr/bin/chromium``, launched
  before the clock starts) has opened the page and the sign-in form is drawn,
  so the script ran once and its elements reached the browser.

``app_cold_start_s`` is ``ready`` when a browser is available, else ``fetch``
(the figure's note says which).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.generate import working_copy
from bench.timing import Figure, median

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FRONTEND_SELECTOR = '[data-testid="stApp"]'
READY_SELECTOR = '[data-testid="stForm"]'  # the sign-in form: drawn only once the script has run
TIMEOUT_S = 120.0


def run(folder: Path, work: Path, reps: int, database_url: str | None = None) -> list[Figure]:
    """Cold starts of the app on a copy of ``folder`` (or on the database ``database_url``)."""
    settings = working_copy(folder, work / "app")
    env = os.environ | {
        "TRACKER_DATA_DIR": str(settings.data_dir),
        "TRACKER_EVIDENCE_DIR": str(settings.evidence_dir),
        "TRACKER_TRUST_DIR": str(settings.trust_dir),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }
    if database_url:
        env["TRACKER_DATABASE_URL"] = database_url
    with browser() as (page_factory, why_not):
        starts = [cold_start(env, page_factory) for _ in range(reps)]
    measured = "ready" if page_factory else "fetch"
    note = (
        "script ran, sign-in form drawn in Chromium"
        if page_factory
        else f"first fetch of / only ({why_not})"
    )
    return [
        Figure(
            "app_cold_start_s",
            median([s[measured] for s in starts]),
            "s",
            3.0,
            note=f"{note}; median of {reps}",
        ),
        Figure(
            "app_health_s",
            median([s["health"] for s in starts]),
            "s",
            note="/_stcore/health answers",
        ),
        Figure(
            "app_first_fetch_s",
            median([s["fetch"] for s in starts]),
            "s",
            note="/ fetched (static HTML)",
        ),
        Figure(
            "app_frontend_s",
            median([s["frontend"] for s in starts]),
            "s",
            note="stApp frame in Chromium",
        )
        if page_factory
        else Figure("app_frontend_s", None, not_measured=why_not),
    ]


@contextlib.contextmanager
def browser():
    """Yields (a function opening a new page, None) or (None, why there is no browser)."""
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
            try:
                yield chromium.new_page, None
            finally:
                chromium.close()
    except ImportError as exc:
        yield None, f"no Playwright: {exc}"


def cold_start(env: dict, new_page) -> dict:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "streamlit_app.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
    ]
    began = time.perf_counter()
    server = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        marks = {"health": wait_for(f"http://127.0.0.1:{port}/_stcore/health", began)}
        marks["fetch"] = wait_for(f"http://127.0.0.1:{port}/", began)
        if new_page is not None:
            marks |= page_ready(new_page, f"http://127.0.0.1:{port}/", began)
        return marks
    finally:
        stop(server)


def wait_for(url: str, began: float) -> float:
    """Seconds from ``began`` until ``url`` answers 200 (polled every 20 ms)."""
    while time.perf_counter() - began < TIMEOUT_S:
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=5) as reply:
            if reply.status == 200:
                reply.read()
                return time.perf_counter() - began
        time.sleep(0.02)
    raise TimeoutError(f"{url} did not answer in {TIMEOUT_S:.0f} s")


def page_ready(new_page, url: str, began: float) -> dict[str, float]:
    page = new_page()
    try:
        page.goto(url)
        page.wait_for_selector(FRONTEND_SELECTOR, timeout=TIMEOUT_S * 1000)
        frontend = time.perf_counter() - began
        page.wait_for_selector(READY_SELECTOR, timeout=TIMEOUT_S * 1000)
        return {"frontend": frontend, "ready": time.perf_counter() - began}
    finally:
        page.close()


def stop(server: subprocess.Popen) -> None:
    """Stop the server this module started (its own process group), and wait for it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
