"""The sandbox: warm workers, limits, restarts and sharing between threads."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.evidence import corpus
from tracker.inspection.sandbox import Sandbox, sandbox_fixed_cost

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def own_sandbox():
    """A sandbox this test may break."""
    box = Sandbox()
    yield box
    box.close()


def test_a_noop_job_returns_an_empty_result(sandbox):
    outcome = sandbox.run("noop")
    assert (outcome.result, outcome.failure) == ({}, None)


def test_a_probe_job_returns_plain_facts(sandbox):
    facts = sandbox.run("probe", corpus.pledge()).result
    assert facts["pages"] == 2 and facts["encrypted"] is False
    assert corpus.FORM_NUMBER in facts["text"]


def test_a_worker_over_its_wall_clock_is_reported_as_a_timeout(sandbox):
    outcome = sandbox.run("probe", corpus.text_bomb(), timeout_s=0.05)
    assert (outcome.result, outcome.failure) == (None, "timeout")
    assert outcome.elapsed_s < 2


def test_the_zygote_is_started_again_after_it_was_killed(own_sandbox):
    own_sandbox.start()
    first = own_sandbox.zygote_pid
    os.kill(first, signal.SIGKILL)
    time.sleep(0.1)
    assert own_sandbox.run("probe", corpus.pledge()).result["pages"] == 2
    assert own_sandbox.zygote_pid not in (None, first)


def test_close_stops_the_zygote_and_a_later_job_starts_a_new_one(own_sandbox):
    own_sandbox.start()
    pid = own_sandbox.zygote_pid
    own_sandbox.close()
    assert own_sandbox.zygote_pid is None
    with pytest.raises(ProcessLookupError):
        _wait_gone(pid)
    assert own_sandbox.run("noop").failure is None


def test_jobs_from_many_threads_each_get_their_own_answer(sandbox):
    files = [corpus.pledge(), corpus.png_bytes(), corpus.no_pages(), corpus.with_javascript()] * 6

    def pages(data: bytes):
        # What is checked is which answer reaches which thread, not speed: a generous time limit
        # keeps a machine busy with other work from turning a slow probe into a failure.
        return sandbox.run("probe", data, timeout_s=120).result.get("pages")

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(pages, files))
    assert answers == [2, None, 0, 1] * 6


def test_the_fixed_cost_measurement_reports_startup_and_round_trip():
    cost = sandbox_fixed_cost(rounds=5)
    assert 0 < cost["noop_s"] < 1 and 0 < cost["startup_s"] < 30


def _wait_gone(pid: int) -> None:
    """Raise ProcessLookupError once ``pid`` no longer exists (or give up after 5 s)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        os.kill(pid, 0)
        time.sleep(0.05)


def test_the_application_process_never_imports_a_pdf_parser():
    code = (
        "import sys, tracker.inspection.inspector, tracker.cli.evidence; "
        "print(sorted(m for m in ('pypdf', 'pyhanko', 'fpdf') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.stdout.strip() == "[]", done.stderr


def test_a_worker_that_dies_mid_job_is_reported_as_crashed_and_spares_are_replaced(own_sandbox):
    own_sandbox.start()
    with ThreadPoolExecutor(max_workers=1) as pool:
        bomb = corpus.text_bomb(characters=10_000_000)  # seconds of parsing before any limit
        pending = pool.submit(own_sandbox.run, "probe", bomb, timeout_s=10)
        time.sleep(0.5)
        for pid in _children(own_sandbox.zygote_pid):
            os.kill(pid, signal.SIGSEGV)  # the busy worker and both spares
        outcome = pending.result(timeout=15)
    assert outcome.failure == "crashed"
    assert own_sandbox.run("probe", corpus.pledge()).result["pages"] == 2


def test_a_forked_application_process_gets_its_own_zygote(own_sandbox):
    own_sandbox.start()
    parent_zygote = own_sandbox.zygote_pid
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child reports the zygote it used, then leaves without cleanup
        outcome = own_sandbox.run("noop")
        os.write(write_end, f"{outcome.failure} {own_sandbox.zygote_pid}".encode())
        own_sandbox.close()
        os._exit(0)
    os.close(write_end)
    failure, child_zygote = os.read(read_end, 100).decode().split()
    os.waitpid(pid, 0)
    os.close(read_end)
    assert failure == "None" and int(child_zygote) != parent_zygote
    assert own_sandbox.run("noop").failure is None and own_sandbox.zygote_pid == parent_zygote


def _children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]
