"""Run the PDF probe in a separate process with wall-time, CPU and memory limits.

A hostile upload (decompression bomb, cyclic page tree, deep nesting, text
bomb) must end as a verdict, never as a hung or dead application.  So the
parsing never happens in the application process:

* The **zygote** is a long-lived child (``python -c ... serve(fd)``), started
  on first use by a :class:`Sandbox`.  It is a fresh interpreter, not a fork of
  the (multi-threaded) application.  It imports pypdf and pyHanko, runs one
  warm-up probe so lazily loaded code is in memory, freezes the GC, and from
  then on only forks and reaps workers: it never sees a file.
* Each file is read by a **worker**, a fork of the zygote used for exactly one
  job, so nothing of one upload is ever in the process that reads the next.
  The zygote keeps two spare workers forked and warmed up ahead of time (the
  copy-on-write faults of a fresh fork are paid before a file arrives) and
  hands the application, over a Unix socket (SCM_RIGHTS), the two pipe ends
  that talk to each spare.  A job is then one write into the worker and one
  read back: no fork, no relay.
* The worker sets a wall-clock timer (SIGALRM at its default action ends the
  process wherever it is), ``RLIMIT_CPU``, ``RLIMIT_AS`` (``memory_mb``) and
  ``RLIMIT_FSIZE`` = 0, runs the job and writes a JSON result.  The zygote
  reaps it when it ends and, if asked, says why a worker ended without an
  answer.  The application has a backstop of its own (it kills a worker
  still silent 5 s after its deadline) and restarts a zygote that died.

Frames on the pipes are a 4-byte big-endian length and a JSON body (orjson);
a job header is followed by the raw file bytes.  Nothing is pickled.
:class:`Sandbox` is thread-safe (one job at a time, under a lock), so one
instance can be shared across Streamlit sessions; :func:`default_sandbox`
is that instance.  The child side is :mod:`tracker.inspection.worker`.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import orjson

from tracker.core.errors import TrackerError
from tracker.inspection.worker import MAX_RESULT, OversizedFrame, read_frame, write_frame

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding tracker/
BACKSTOP_S = 5.0  # grace on top of a job's timeout before the zygote counts as hung
STARTUP_TIMEOUT_S = 60.0


class SandboxError(TrackerError):
    """The sandbox itself failed (could not start, or died during a job); not the file's fault."""


@dataclass(frozen=True)
class Outcome:
    """What a job produced: ``result`` (the job's JSON) or ``failure``.

    ``failure`` is ``None`` on success, else ``"timeout"`` (wall clock or CPU
    limit), ``"memory"`` (address-space limit), ``"crashed"`` (the worker died,
    e.g. on a C stack overflow) or ``"output"`` (result larger than allowed).
    ``elapsed_s`` is the whole round trip; ``cpu_s`` the CPU time the job itself
    took in the worker (``None`` on failure).
    """

    result: dict | None
    failure: str | None
    elapsed_s: float
    cpu_s: float | None = None


@dataclass
class _Spare:
    """A warm worker as the application sees it: an id and its two pipe ends (-1: closed)."""

    id: int
    pid: int
    job_w: int
    result_r: int

    def close_job(self) -> None:
        """Close the job end (the worker has its file); never closes a number twice."""
        fd, self.job_w = self.job_w, -1
        if fd >= 0:
            os.close(fd)

    def close(self) -> None:
        self.close_job()
        fd, self.result_r = self.result_r, -1
        if fd >= 0:
            os.close(fd)


class Sandbox:
    """A zygote process and the spare workers it has handed over."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._control: socket.socket | None = None
        self._spares: deque[_Spare] = deque()
        self._owner = os.getpid()

    def run(
        self,
        job: str,
        data: bytes = b"",
        options: dict | None = None,
        *,
        timeout_s: float = 10.0,
        memory_mb: int = 512,
    ) -> Outcome:
        """Run ``job`` ("probe" or "noop") on ``data`` in a fresh worker.

        ``memory_mb`` caps the worker's whole address space (the zygote's
        baseline is about 65 MB of it).  A zygote found dead is restarted.
        Raises SandboxError if it cannot be started or fails during the job
        (never because of the file: that is an Outcome with a ``failure``).
        """
        header = {"job": job, "size": len(data), "options": options or {}}
        header |= {"timeout_s": float(timeout_s), "memory_mb": int(memory_mb)}
        deadline = time.monotonic() + timeout_s + BACKSTOP_S
        with self._lock:
            try:
                return self._run(header, data, deadline)
            except (OSError, EOFError, TimeoutError, ValueError) as exc:
                self._stop()
                raise SandboxError("自動檢核程序中斷", f"sandbox failed: {exc}") from exc

    @property
    def zygote_pid(self) -> int | None:
        """Process id of the running zygote, ``None`` before the first job or after close."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def start(self) -> None:
        """Start the zygote now (it is started on first use otherwise)."""
        with self._lock:
            self._ensure_started()

    def close(self) -> None:
        """Stop the zygote and its spare workers; a later :meth:`run` starts anew."""
        with self._lock:
            self._stop()

    def _run(self, header: dict, data: bytes, deadline: float) -> Outcome:
        started = time.perf_counter()
        for _ in range(3):  # a spare that died before its job is replaced
            spare = self._take_spare(deadline)
            try:
                write_frame(spare.job_w, header, data, deadline)
            except BrokenPipeError:
                spare.close()
                continue
            spare.close_job()
            try:
                reply = self._collect(spare, deadline)
            finally:
                spare.close()
            elapsed = time.perf_counter() - started
            return Outcome(reply.get("result"), reply.get("failure"), elapsed, reply.get("cpu_s"))
        raise EOFError("three spare workers in a row were dead")

    def _collect(self, spare: _Spare, deadline: float) -> dict:
        try:
            return read_frame(spare.result_r, deadline, MAX_RESULT)
        except OversizedFrame:
            return {"failure": "output"}  # closing our end stops the worker (EPIPE)
        except (EOFError, ValueError):
            return {"failure": self._ask(spare.id, deadline)}
        except TimeoutError:
            with contextlib.suppress(OSError):  # the zygote failed to: we do, then restart
                os.kill(spare.pid, signal.SIGKILL)
            raise

    def _ask(self, worker_id: int, deadline: float) -> str:
        """Why a worker ended without an answer, according to the zygote."""
        self._control.send(orjson.dumps({"cause": worker_id}))
        while True:
            message = self._receive(deadline)
            if message.get("cause") == worker_id:
                return message["failure"]

    def _take_spare(self, deadline: float) -> _Spare:
        self._ensure_started()
        while not self._spares:
            self._receive(deadline)
        return self._spares.popleft()

    def _receive(self, deadline: float) -> dict:
        """One message from the zygote; spare workers it offers are queued."""
        self._control.settimeout(max(deadline - time.monotonic(), 0.001))
        data, fds, _, _ = socket.recv_fds(self._control, 65536, 2, socket.MSG_CMSG_CLOEXEC)
        if not data:
            raise EOFError("the zygote closed its socket")
        message = orjson.loads(data)
        if "spare" in message:
            self._spares.append(_Spare(message["spare"], message["pid"], *fds))
        return message

    def _ensure_started(self) -> None:
        if self._owner == os.getpid() and self._proc is not None and self._proc.poll() is None:
            return
        self._stop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        bootstrap = f"import sys; sys.path.insert(0, {str(PACKAGE_ROOT)!r}); "
        bootstrap += f"from tracker.inspection.worker import serve; serve({theirs.fileno()})"
        with theirs:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", bootstrap],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,  # never a stray traceback on the user's terminal
                pass_fds=(theirs.fileno(),),
                # Own process group, so Ctrl-C on the CLI does not hit the workers; same
                # session, so with autogroup scheduling the workers share the app's CPU
                # share instead of queuing as a group of their own (on a busy two-core
                # machine: about 1.4x -> 1.2x pypdf's wall time, at equal CPU time).
                process_group=0,
            )
        self._control = ours
        try:
            self._receive(time.monotonic() + STARTUP_TIMEOUT_S)  # "ready"
        except (OSError, EOFError, TimeoutError, ValueError) as exc:
            self._stop()
            raise SandboxError("自動檢核程序無法啟動", f"sandbox did not start: {exc}") from exc

    def _stop(self) -> None:
        """Close our ends of everything; stop and reap the zygote if it is ours.

        After ``os.fork`` the zygote belongs to the parent process: the child
        only closes its copies of the descriptors and leaves the process alone.
        """
        proc, control, self._proc, self._control = self._proc, self._control, None, None
        forked, self._owner = self._owner != os.getpid(), os.getpid()
        if control is not None:
            control.close()  # the zygote sees the end of its socket and exits
        while self._spares:
            self._spares.popleft().close()  # a spare whose job pipe closes just exits
        if proc is None or forked:
            return
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


_default: Sandbox | None = None
_default_lock = threading.Lock()


def default_sandbox() -> Sandbox:
    """The process-wide sandbox (created on first call, stopped at exit)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Sandbox()
            atexit.register(_default.close)
        return _default


def sandbox_fixed_cost(
    rounds: int = 50, sandbox: Sandbox | None = None, pause_s: float = 0.01
) -> dict:
    """Measure the sandbox's own cost, for benchmarks.

    Returns ``startup_s`` (starting the zygote, paid once per process) and
    ``noop_s`` (median round trip of a job that does nothing: the per-file
    latency the sandbox adds on top of the parsing).  Jobs are ``pause_s``
    apart, as uploads are: back to back, a no-op would measure how fast spare
    workers are forked and warmed instead.
    """
    sandbox = sandbox or Sandbox()
    began = time.perf_counter()
    sandbox.start()
    startup = time.perf_counter() - began
    times = []
    for _ in range(rounds):
        time.sleep(pause_s)
        began = time.perf_counter()
        sandbox.run("noop")
        times.append(time.perf_counter() - began)
    if sandbox is not _default:
        sandbox.close()
    return {"startup_s": startup, "noop_s": sorted(times)[len(times) // 2]}
