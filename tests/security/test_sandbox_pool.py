"""Issue 15, finding 6: one slow upload no longer stalls everyone's inspection.

The attack: a small PDF that keeps its worker busy for many seconds, while
other people's ordinary pledges are inspected.  Before, the sandbox was one
lock and each job's deadline ran while it waited for it, so every queued job
ended as 自動檢核程序中斷.
"""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.evidence import corpus
from tracker.inspection.sandbox import Sandbox, SandboxBusy, inspections_by

SLOW_S = 4.0  # the slow file's own limit (its worker is stopped: the backstop ends it 5 s later)


def slow_pdf() -> bytes:
    """About 20 KB that takes a worker seconds: two million text operators, no text."""
    return corpus.text_page_pdf(content=corpus.stream(b"BT " + b"1 0 Td " * 2_000_000 + b"ET"))


@pytest.fixture
def box():
    sandbox = Sandbox()
    sandbox.start()
    yield sandbox
    sandbox.close()


def as_owner(box: Sandbox, owner: str, data: bytes, timeout_s: float):
    with inspections_by(owner):
        return box.run("probe", data, timeout_s=timeout_s)


def stall_busy_worker(box: Sandbox) -> None:
    """Stop the worker that reads the slow file (spares sleep; it works), so that it takes
    longer than anyone's limit on any machine: even its own alarm waits until it continues."""
    workers = children(box.zygote_pid)
    before = {pid: cpu_ticks(pid) for pid in workers}
    time.sleep(0.3)
    busy = max(workers, key=lambda pid: cpu_ticks(pid) - before[pid])
    os.kill(busy, signal.SIGSTOP)


def test_ordinary_pledges_are_inspected_while_a_slow_file_holds_a_worker(box):
    zygote, pledge = box.zygote_pid, corpus.pledge()
    with ThreadPoolExecutor(max_workers=5) as pool:
        slow = pool.submit(as_owner, box, "vendor.x", slow_pdf(), SLOW_S)
        time.sleep(0.5)  # the slow file is being read
        stall_busy_worker(box)
        ordinary = [pool.submit(as_owner, box, f"vendor.{n}", pledge, 2.0) for n in range(4)]
        pages = [job.result().result["pages"] for job in ordinary]  # no SandboxError
        assert not slow.done()  # all four were inspected while the slow file still ran
        assert slow.result().failure == "timeout"  # ended by the backstop, alone
    assert pages == [2, 2, 2, 2]
    assert box.zygote_pid == zygote  # the zygote was not restarted under the others


def test_a_second_inspection_of_the_same_user_is_refused_while_the_first_runs(box):
    with ThreadPoolExecutor(max_workers=2) as pool:
        slow = pool.submit(as_owner, box, "vendor.x", slow_pdf(), SLOW_S)
        time.sleep(0.5)
        with pytest.raises(SandboxBusy, match="已有檔案正在自動檢核"):
            as_owner(box, "vendor.x", corpus.pledge(), 2.0)
        assert as_owner(box, "vendor.y", corpus.pledge(), 2.0).result["pages"] == 2
        slow.result()
    assert as_owner(box, "vendor.x", corpus.pledge(), 2.0).result["pages"] == 2  # its turn again


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
