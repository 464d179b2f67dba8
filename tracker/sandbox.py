"""Run the PDF probe in a separate process with wall-time, CPU and memory limits.

A hostile upload (decompression bomb, cyclic page tree, deep nesting, text
bomb) must end as a verdict, never as a hung or dead application.  So the
parsing never happens in the application process:

* The **zygote** is a long-lived child (``python -c ... serve()``), started on
  first use by a :class:`Sandbox`.  It is a fresh interpreter, not a fork of
  the (multi-threaded) application.  It imports pypdf and pyHanko, runs one
  warm-up probe so lazily loaded code is in memory, freezes the GC, and then
  only forks.
* Each job runs in a **worker**, a fork of the zygote used for exactly one
  file, so nothing of one upload is ever in the process that reads the next.
  The zygote keeps two spare workers forked and warmed up ahead of time (off
  the critical path: the copy-on-write faults of a fresh fork are paid before
  the file arrives), so a job costs pipe hops, not a fork.  The worker sets
  ``RLIMIT_AS`` (``memory_mb``), ``RLIMIT_CPU`` and ``RLIMIT_FSIZE`` = 0 when
  the job arrives, runs it and writes a JSON result to a pipe.
* The zygote enforces the wall clock: a worker still running at the deadline
  is killed with SIGKILL.  The application enforces a backstop on the zygote
  itself and restarts it if it dies or hangs.

Frames on every pipe are a 4-byte big-endian length and a JSON body (orjson);
a job header is followed by the raw file bytes.  Nothing is pickled.
:class:`Sandbox` is thread-safe (one job at a time, under a lock), so one
instance can be shared across Streamlit sessions; :func:`default_sandbox`
is that instance.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import select
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

from tracker.errors import TrackerError

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
BACKSTOP_S = 5.0  # grace on top of a job's timeout before the zygote counts as hung
STARTUP_TIMEOUT_S = 60.0
MAX_FRAME = 64 * 1024 * 1024
PIPE_BYTES = 1024 * 1024  # a typical upload crosses each pipe in one write
_LEN = struct.Struct(">I")


class OversizedFrame(ValueError):
    """A frame announced more bytes than the reader accepts."""


class SandboxError(TrackerError):
    """The sandbox itself failed (could not start, or died during a job); not the file's fault."""


@dataclass(frozen=True)
class Outcome:
    """What a job produced: ``result`` (the job's JSON) or ``failure``.

    ``failure`` is ``None`` on success, else ``"timeout"`` (wall clock or CPU
    limit), ``"memory"`` (address-space limit), ``"crashed"`` (the worker died,
    e.g. on a C stack overflow) or ``"output"`` (result larger than allowed).
    """

    result: dict | None
    failure: str | None
    elapsed_s: float


class Sandbox:
    """A zygote process and the means to run jobs in its workers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
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
        with self._lock:
            try:
                return self._exchange(header, data, timeout_s + BACKSTOP_S)
            except BrokenPipeError:  # the zygote died between jobs: one fresh start
                self._stop()
                return self._failsafe(header, data, timeout_s + BACKSTOP_S)
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
        """Stop the zygote; a later :meth:`run` starts a new one."""
        with self._lock:
            self._stop()

    def _failsafe(self, header: dict, data: bytes, backstop_s: float) -> Outcome:
        try:
            return self._exchange(header, data, backstop_s)
        except (OSError, EOFError, TimeoutError, ValueError) as exc:
            self._stop()
            raise SandboxError("自動檢核程序中斷", f"sandbox failed: {exc}") from exc

    def _exchange(self, header: dict, data: bytes, backstop_s: float) -> Outcome:
        proc = self._ensure_started()
        started, deadline = time.perf_counter(), time.monotonic() + backstop_s
        write_frame(proc.stdin.fileno(), header, data, deadline)
        reply = read_frame(proc.stdout.fileno(), deadline)
        return Outcome(reply.get("result"), reply.get("failure"), time.perf_counter() - started)

    def _ensure_started(self) -> subprocess.Popen:
        if self._owner == os.getpid() and self._proc is not None and self._proc.poll() is None:
            return self._proc
        self._stop()
        bootstrap = f"import sys; sys.path.insert(0, {str(PACKAGE_ROOT)!r}); "
        bootstrap += "from tracker.sandbox_worker import serve; serve()"
        self._proc = subprocess.Popen(
            [sys.executable, "-c", bootstrap],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # never a stray traceback on the user's terminal
            bufsize=0,
            start_new_session=True,  # Ctrl-C on the CLI must not hit the workers
        )
        for stream in (self._proc.stdin, self._proc.stdout):
            widen_pipe(stream.fileno())
        try:
            read_frame(self._proc.stdout.fileno(), time.monotonic() + STARTUP_TIMEOUT_S)
        except (OSError, EOFError, TimeoutError) as exc:
            self._stop()
            raise SandboxError("自動檢核程序無法啟動", f"sandbox did not start: {exc}") from exc
        return self._proc

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or self._owner != os.getpid():
            self._owner = os.getpid()  # in a forked child the zygote is the parent's: leave it
            return
        for stream in (proc.stdin, proc.stdout):
            stream.close()
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


def sandbox_fixed_cost(rounds: int = 50, sandbox: Sandbox | None = None) -> dict:
    """Measure the sandbox's own cost, for benchmarks.

    Returns ``startup_s`` (starting the zygote, paid once per process) and
    ``noop_s`` (median round trip of a job that does nothing: the per-file
    cost the sandbox adds on top of the parsing itself).
    """
    sandbox = sandbox or Sandbox()
    began = time.perf_counter()
    sandbox.start()
    startup = time.perf_counter() - began
    times = sorted(_timed_noop(sandbox) for _ in range(rounds))
    if sandbox is not _default:
        sandbox.close()
    return {"startup_s": startup, "noop_s": times[len(times) // 2]}


def _timed_noop(sandbox: Sandbox) -> float:
    began = time.perf_counter()
    sandbox.run("noop")
    return time.perf_counter() - began


def widen_pipe(fd: int) -> None:
    """Grow a pipe's kernel buffer to PIPE_BYTES where Linux allows it (fewer wake-ups)."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux, or over pipe-max-size
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def write_frame(fd: int, body: dict, payload: bytes = b"", deadline: float | None = None) -> None:
    """Write a length-prefixed JSON frame, then ``payload`` raw (its size is in ``body``)."""
    encoded = orjson.dumps(body)
    _write_all(fd, _LEN.pack(len(encoded)) + encoded, deadline)
    if payload:
        _write_all(fd, payload, deadline)


def read_frame(fd: int, deadline: float | None, limit: int = MAX_FRAME) -> dict:
    """Read one frame; OversizedFrame if it announces more than ``limit`` bytes."""
    (length,) = _LEN.unpack(read_exact(fd, _LEN.size, deadline))
    if length > limit:
        raise OversizedFrame(f"frame of {length} bytes exceeds {limit}")
    return orjson.loads(read_exact(fd, length, deadline))


def read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    """Read exactly ``size`` bytes; EOFError at end of stream, TimeoutError at ``deadline``."""
    chunks, missing = [], size
    while missing:
        _wait(fd, select.POLLIN, deadline)
        chunk = os.read(fd, min(missing, 1 << 20))
        if not chunk:
            raise EOFError("stream closed")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes, deadline: float | None) -> None:
    view = memoryview(data)
    while view:
        _wait(fd, select.POLLOUT, deadline)
        view = view[os.write(fd, view) :]


def _wait(fd: int, event: int, deadline: float | None) -> None:
    """Block until ``fd`` is ready (or closed); TimeoutError at ``deadline`` (None: no limit).

    poll, not select: an application may hold more than FD_SETSIZE descriptors.
    """
    if deadline is None:
        return
    poller = select.poll()
    poller.register(fd, event)
    remaining = deadline - time.monotonic()
    if remaining <= 0 or not poller.poll(remaining * 1000):
        raise TimeoutError("no answer before the deadline")
