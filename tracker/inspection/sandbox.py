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
:class:`Sandbox` is thread-safe and runs up to :data:`POOL` jobs at once,
each in its own worker and each with a deadline that starts when it gets its
worker (an 8 KB file that takes 10 s to parse delays nobody else's deadline);
one owner (:func:`inspections_by`, the uploading user) runs at most
:data:`PER_OWNER` at once.  One instance can be shared across Streamlit
sessions; :func:`default_sandbox` is that instance.  The child side is
:mod:`tracker.inspection.worker`.
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
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
    """A warm worker as the application sees it: an id and its two pipe ends (-1: closed).

    ``generation`` says which zygote forked it (worker ids restart with each zygote).
    """

    id: int
    pid: int
    job_w: int
    result_r: int
    generation: int = 0

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


class SandboxBusy(TrackerError):
    """The job was not started: the caller already has inspections running, or every worker
    stayed busy for :data:`QUEUE_WAIT_S`.  Nothing was inspected; trying again later works."""


POOL = 2  # jobs at once: one slow file leaves the other slot to everyone else
PER_OWNER = 1  # jobs at once for one owner (see inspections_by)
QUEUE_WAIT_S = 60.0  # longest wait for a free slot before the job is refused as busy
_owner: contextvars.ContextVar[str | None] = contextvars.ContextVar("sandbox_owner", default=None)


@contextlib.contextmanager
def inspections_by(owner: str):
    """Count the sandbox jobs started in this block as ``owner``'s (e.g. the uploading user).

    At most :data:`PER_OWNER` of an owner's jobs run at once; another one is
    refused with :class:`SandboxBusy` instead of queueing, so that one person
    uploading many slow files cannot hold every worker.
    """
    token = _owner.set(owner)
    try:
        yield
    finally:
        _owner.reset(token)


class Sandbox:
    """A zygote process and the spare workers it has handed over.

    Up to ``pool`` jobs run at once, each in its own worker; a job's deadline
    starts when it gets a slot, never while it waits for one.  The control
    socket to the zygote is shared under a short lock; each job then talks to
    its own worker's pipes without any lock.
    """

    def __init__(self, pool: int = POOL, per_owner: int = PER_OWNER) -> None:
        self._lock = threading.Lock()  # the control socket, the spares, the causes, restarts
        self._slots = threading.BoundedSemaphore(pool)
        self._per_owner = per_owner
        self._owners: dict[str, int] = {}
        self._owners_lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._control: socket.socket | None = None
        self._spares: deque[_Spare] = deque()
        self._causes: dict[int, str] = {}  # answers to "why did worker N end?" not yet claimed
        self._generation = 0  # which zygote handed out a spare: ids restart with each one
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

        ``timeout_s`` counts from the moment the job has a worker, not from the
        call: a job queued behind slow ones still gets its whole time.
        ``memory_mb`` caps the worker's whole address space (the zygote's
        baseline is about 65 MB of it).  A zygote found dead is restarted.
        Raises SandboxBusy when the owner (:func:`inspections_by`) already has
        a job running or no slot frees within :data:`QUEUE_WAIT_S`, and
        SandboxError if the sandbox cannot be started or its zygote fails
        (never because of the file: that is an Outcome with a ``failure``).
        """
        header = {"job": job, "size": len(data), "options": options or {}}
        header |= {"timeout_s": float(timeout_s), "memory_mb": int(memory_mb)}
        with self._owned(_owner.get()), self._slot():
            deadline = time.monotonic() + timeout_s + BACKSTOP_S
            try:
                return self._run(header, data, deadline)
            except (OSError, EOFError, TimeoutError, ValueError) as exc:
                with self._lock:
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

    @contextlib.contextmanager
    def _owned(self, owner: str | None):
        if owner is None:
            yield
            return
        with self._owners_lock:
            if self._owners.get(owner, 0) >= self._per_owner:
                raise SandboxBusy(
                    "您已有檔案正在自動檢核，請待其完成後再上傳",
                    f"{owner} already has {self._per_owner} inspection(s) running",
                )
            self._owners[owner] = self._owners.get(owner, 0) + 1
        try:
            yield
        finally:
            with self._owners_lock:
                self._owners[owner] -= 1
                if not self._owners[owner]:
                    del self._owners[owner]

    @contextlib.contextmanager
    def _slot(self):
        if not self._slots.acquire(timeout=QUEUE_WAIT_S):
            raise SandboxBusy(
                "自動檢核忙碌中，請稍後再上傳", f"no sandbox slot freed within {QUEUE_WAIT_S:.0f} s"
            )
        try:
            yield
        finally:
            self._slots.release()

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
        """The worker's answer, read without any lock (other jobs run meanwhile)."""
        try:
            return read_frame(spare.result_r, deadline, MAX_RESULT)
        except OversizedFrame:
            return {"failure": "output"}  # closing our end stops the worker (EPIPE)
        except (EOFError, ValueError):
            return {"failure": self._ask(spare, deadline)}
        except TimeoutError:
            # silent past its own alarm: this worker is killed; the zygote and the other
            # jobs' workers are left alone (restarting it would end their jobs too)
            with contextlib.suppress(OSError):
                os.kill(spare.pid, signal.SIGKILL)
            return {"failure": "timeout"}

    def _ask(self, spare: _Spare, deadline: float) -> str:
        """Why a worker ended without an answer, according to the zygote that forked it."""
        with self._lock:
            if spare.generation != self._generation or self._control is None:
                return "crashed"  # its zygote is gone, and with it the worker
            self._control.send(orjson.dumps({"cause": spare.id}))
            while spare.id not in self._causes:
                self._receive(deadline)
            return self._causes.pop(spare.id)

    def _take_spare(self, deadline: float) -> _Spare:
        with self._lock:
            self._ensure_started()
            while not self._spares:
                self._receive(deadline)
            return self._spares.popleft()

    def _receive(self, deadline: float) -> dict:
        """One message from the zygote (the caller holds the lock): spares are queued, causes kept."""
        self._control.settimeout(max(deadline - time.monotonic(), 0.001))
        data, fds, _, _ = socket.recv_fds(self._control, 65536, 2, socket.MSG_CMSG_CLOEXEC)
        if not data:
            raise EOFError("the zygote closed its socket")
        message = orjson.loads(data)
        if "spare" in message:
            spare = _Spare(message["spare"], message["pid"], *fds)
            spare.generation = self._generation
            self._spares.append(spare)
        elif "cause" in message:
            self._causes[message["cause"]] = message["failure"]
            while len(self._causes) > 64:  # answers nobody claims any more
                del self._causes[next(iter(self._causes))]
        return message

    def _ensure_started(self) -> None:
        """Start a zygote unless ours runs (the caller holds the lock)."""
        if self._owner == os.getpid() and self._proc is not None and self._proc.poll() is None:
            return
        self._stop()
        self._generation += 1
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
        """Close our ends of everything; stop and reap the zygote if it is ours (lock held).

        After ``os.fork`` the zygote belongs to the parent process: the child
        only closes its copies of the descriptors and leaves the process alone.
        """
        proc, control, self._proc, self._control = self._proc, self._control, None, None
        forked, self._owner = self._owner != os.getpid(), os.getpid()
        self._causes.clear()
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
