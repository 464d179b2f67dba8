"""The sandbox's child side: the zygote loop and the one-job workers.

Everything here runs in the interpreter started by
:class:`tracker.sandbox.Sandbox` (see that module for the design), never in
the application process.  The zygote is single-threaded, which is what makes
``os.fork`` safe here.
"""

from __future__ import annotations

import base64
import contextlib
import gc
import logging
import os
import resource
import signal
import sys
import time
import warnings
from collections import deque

from tracker.sandbox import OversizedFrame, read_exact, read_frame, widen_pipe, write_frame

MAX_RESULT = 16 * 1024 * 1024
SPARES = 2  # forked and warmed ahead, so back-to-back jobs never wait for a fork
MAX_FD = 65536
EXIT_MEMORY = 3  # a worker that could not even report its MemoryError


def serve() -> None:
    """Zygote main loop: answer job frames from stdin on stdout until stdin closes."""
    from tracker import pdf_probe

    _quiet()
    pdf_probe.warm_up()  # lazily loaded code, loaded once for every future worker
    gc.collect()
    gc.freeze()  # workers never scan or copy the zygote's objects for GC
    stdin, stdout = sys.stdin.fileno(), sys.stdout.fileno()
    write_frame(stdout, {"ready": os.getpid()})
    spares, finished = deque(_Worker.fork() for _ in range(SPARES)), []
    while True:
        try:
            header = read_frame(stdin, None)
            data = read_exact(stdin, header["size"], None)
        except EOFError:
            break
        worker = _hand_over(spares, header, data)
        write_frame(stdout, worker.collect(header["timeout_s"]))
        finished = [w for w in [*finished, worker] if not w.reap(block=False)]
        spares.extend(_Worker.fork() for _ in range(SPARES - len(spares)))
    for worker in [*spares, *finished]:
        worker.kill()


def _hand_over(spares: deque[_Worker], header: dict, data: bytes) -> _Worker:
    """Give the job to the oldest spare (warm by now), skipping any that died."""
    while spares:
        worker = spares.popleft()
        try:
            worker.send(header, data)
            return worker
        except OSError:
            worker.kill()
    worker = _Worker.fork()
    worker.send(header, data)
    return worker


class _Worker:
    """One forked child that waits for a single job (zygote side handle)."""

    def __init__(self, pid: int, job_w: int, result_r: int) -> None:
        self.pid, self.job_w, self.result_r = pid, job_w, result_r

    @classmethod
    def fork(cls) -> _Worker:
        job_r, job_w = os.pipe()
        result_r, result_w = os.pipe()
        for fd in (job_w, result_r):
            widen_pipe(fd)
        pid = os.fork()
        if pid == 0:
            try:
                _isolate(keep=(job_r, result_w))
                _worker_main(job_r, result_w)
            finally:
                os._exit(0)
        os.close(job_r)
        os.close(result_w)
        return cls(pid, job_w, result_r)

    def send(self, header: dict, data: bytes) -> None:
        write_frame(self.job_w, header, data)
        os.close(self.job_w)
        self.job_w = -1

    def collect(self, timeout_s: float) -> dict:
        """The worker's answer, or a failure after killing it at the deadline."""
        try:
            return read_frame(self.result_r, time.monotonic() + timeout_s, MAX_RESULT)
        except TimeoutError:
            self.kill()
            return {"failure": "timeout"}
        except OversizedFrame:
            self.kill()
            return {"failure": "output"}
        except (EOFError, ValueError):
            return {"failure": self._cause_of_death()}

    def _cause_of_death(self) -> str:
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL):
            return "timeout"
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == EXIT_MEMORY:
            return "memory"
        return "crashed"

    def kill(self) -> None:
        if self.pid:
            with contextlib.suppress(ProcessLookupError):  # already gone
                os.kill(self.pid, signal.SIGKILL)
        self.reap()

    def reap(self, *, block: bool = True) -> bool:
        """Collect the exited worker and close its pipes; False if it is still exiting.

        A worker exits right after answering, and tearing down its address space
        takes a millisecond or so: the zygote does not wait for that between jobs.
        """
        if self.pid:
            pid, _ = os.waitpid(self.pid, 0 if block else os.WNOHANG)
            if pid == 0:
                return False
            self.pid = 0
        for fd in (self.job_w, self.result_r):
            if fd >= 0:
                os.close(fd)
        self.job_w = self.result_r = -1
        return True


def _worker_main(job_r: int, result_w: int) -> None:
    from tracker import pdf_probe

    pdf_probe.warm_up()  # copy-on-write the pages a probe touches, before the job
    try:
        header = read_frame(job_r, None)
        data = read_exact(job_r, header["size"], None)
    except (EOFError, OSError, ValueError):
        return  # the zygote went away: nothing to do
    _limit(header["timeout_s"], header["memory_mb"])
    try:
        body = {"result": _JOBS[header["job"]](data, header["options"])}
    except MemoryError:
        body = {"failure": "memory"}
    except BaseException:  # noqa: BLE001 - whatever happens is reported, not raised
        body = {"failure": "crashed"}
    try:
        write_frame(result_w, body)
    except MemoryError:
        os._exit(EXIT_MEMORY)


def _probe_job(data: bytes, options: dict) -> dict:
    from tracker import pdf_probe

    roots = [base64.b64decode(root) for root in options.get("trust_roots", ())]
    return pdf_probe.probe(data, roots)


_JOBS = {"noop": lambda data, options: {}, "probe": _probe_job}


def _limit(timeout_s: float, memory_mb: int) -> None:
    """Cap this worker's CPU seconds, address space and file writes."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(usage.ru_utime + usage.ru_stime + timeout_s) + 1
    _set_limit(resource.RLIMIT_CPU, cpu, cpu + 1)
    _set_limit(resource.RLIMIT_AS, memory_mb * 1024 * 1024)
    _set_limit(resource.RLIMIT_FSIZE, 0)  # the worker has no business writing files
    _set_limit(resource.RLIMIT_CORE, 0)


def _set_limit(kind: int, soft: int, hard: int | None = None) -> None:
    _, current_hard = resource.getrlimit(kind)
    if current_hard != resource.RLIM_INFINITY:
        soft = min(soft, current_hard)
        hard = current_hard if hard is None else min(hard, current_hard)
    resource.setrlimit(kind, (soft, soft if hard is None else hard))


def _isolate(keep: tuple[int, ...]) -> None:
    """Detach a new worker from the zygote's pipes: only its own two fds stay open."""
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    lowest = 3
    for fd in sorted(keep):
        os.closerange(lowest, fd)
        lowest = fd + 1
    os.closerange(lowest, MAX_FD)


def _quiet() -> None:
    """pypdf logs and warns about every oddity; nobody reads a worker's stderr."""
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
