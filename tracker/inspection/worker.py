"""The sandbox's child side: the zygote's event loop and the one-job workers.

Everything but the frame helpers at the end runs in the interpreter started
by :class:`tracker.inspection.sandbox.Sandbox` (see that module for the design), never
in the application process.  The zygote is single-threaded, which is what
makes ``os.fork`` safe here.  It never reads a file itself: it forks workers,
hands their pipe ends to the application and reaps them; each worker keeps its
own time.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import gc
import logging
import os
import resource
import select
import signal
import socket
import struct
import time
import warnings

import orjson

SPARES = 2  # forked and warmed ahead, so back-to-back jobs never wait for a fork
MAX_FD = 65536
EXIT_MEMORY = 3  # a worker that could not even report its MemoryError
# Wall-clock timer, CPU soft limit, CPU hard limit (or the application's backstop).
TIME_SIGNALS = (signal.SIGALRM, signal.SIGXCPU, signal.SIGKILL)
KEPT_CAUSES = 64  # why recent workers ended, for the application to ask
MAX_RESULT = 16 * 1024 * 1024  # largest answer a worker may give
PIPE_BYTES = 1024 * 1024  # a typical upload crosses the job pipe in one write
_LEN = struct.Struct(">I")


class OversizedFrame(ValueError):
    """A frame announced more bytes than the reader accepts."""


def serve(control_fd: int) -> None:
    """Zygote main: warm up, then serve the application on ``control_fd`` until it closes."""
    from tracker.inspection import probe as pdf_probe

    _quiet()
    pdf_probe.warm_up()  # lazily loaded code, loaded once for every future worker
    gc.collect()
    gc.freeze()  # workers never scan or copy the zygote's objects for GC
    control = socket.socket(fileno=control_fd)
    control.send(orjson.dumps({"ready": os.getpid()}))
    _Zygote(control).loop()


class _Zygote:
    """Offers spare workers to the application, reaps them and tells why they ended."""

    def __init__(self, control: socket.socket) -> None:
        self.control = control
        self.poller = select.poll()
        self.poller.register(control, select.POLLIN)
        self.workers: dict[int, _Worker] = {}  # by status fd: offered or running
        self.causes: dict[int, str | None] = {}  # by worker id, once ended
        self.next_id = 1
        self.gone = False  # the application closed the socket

    def loop(self) -> None:
        try:
            for _ in range(SPARES):
                self.offer()
            while self.step() and not self.gone:
                pass
        finally:
            for worker in list(self.workers.values()):
                worker.kill()

    def step(self) -> bool:
        """Handle what is ready; False once the application has gone."""
        ready = [(fd, self.workers.get(fd)) for fd, _ in self.poller.poll()]
        for fd, worker in ready:
            if fd == self.control.fileno():
                if not self.answer():
                    return False
            elif worker is not None and self.workers.get(fd) is worker:  # fds get reused
                self.on_ended(worker)
        return True

    def offer(self) -> None:
        """Fork a spare and hand its job and result pipe ends to the application."""
        worker = _Worker.fork(self.next_id)
        self.next_id += 1
        self.workers[worker.status_r] = worker
        self.poller.register(worker.status_r, select.POLLIN)
        message = orjson.dumps({"spare": worker.id, "pid": worker.pid})
        try:
            socket.send_fds(self.control, [message], [worker.job_w, worker.result_r])
        except OSError:  # the application has gone; the loop ends
            self.gone = True
        worker.forget_pipes()

    def on_ended(self, worker: _Worker) -> None:
        """A worker's status pipe closed: reap it and fork its successor.

        The successor is forked when a worker *ends*, not when its job starts:
        its warm-up would otherwise compete for the CPU with the job.
        """
        self.finish(worker)
        self.offer()

    def finish(self, worker: _Worker) -> None:
        self.poller.unregister(worker.status_r)
        del self.workers[worker.status_r]
        self.causes[worker.id] = worker.reap()
        while len(self.causes) > KEPT_CAUSES:
            del self.causes[next(iter(self.causes))]

    def answer(self) -> bool:
        """Answer "why did worker N end?"; False when the socket is closed."""
        data = self.control.recv(65536)
        if not data:
            return False
        worker_id = orjson.loads(data)["cause"]
        running = [w for w in self.workers.values() if w.id == worker_id]
        for worker in running:  # its answer pipe is closed: it is exiting
            self.finish(worker)
        cause = self.causes.pop(worker_id, None) or "crashed"
        self.control.send(orjson.dumps({"cause": worker_id, "failure": cause}))
        return True


class _Worker:
    """One forked child that waits for a single job (the zygote's handle on it)."""

    def __init__(self, worker_id: int, pid: int, pipes: tuple[int, int, int]) -> None:
        self.id, self.pid = worker_id, pid
        self.job_w, self.result_r, self.status_r = pipes

    @classmethod
    def fork(cls, worker_id: int) -> _Worker:
        (job_r, job_w), (result_r, result_w), (status_r, status_w) = (os.pipe() for _ in range(3))
        widen_pipe(job_w)
        pid = os.fork()
        if pid == 0:
            try:
                _isolate(keep=(job_r, result_w, status_w))
                _worker_main(job_r, result_w, status_w)
            finally:
                os._exit(0)
        for fd in (job_r, result_w, status_w):
            os.close(fd)
        return cls(worker_id, pid, (job_w, result_r, status_r))

    def forget_pipes(self) -> None:
        """Close the job and result ends once the application holds them."""
        os.close(self.job_w)
        os.close(self.result_r)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.kill(self.pid, signal.SIGKILL)

    def reap(self) -> str | None:
        """Wait for the exit and say what it means (None: a normal end)."""
        _, status = os.waitpid(self.pid, 0)
        os.close(self.status_r)
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) in TIME_SIGNALS:
            return "timeout"
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == EXIT_MEMORY:
            return "memory"
        return None if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 else "crashed"


def _worker_main(job_r: int, result_w: int, status_w: int) -> None:
    """Warm up, wait for one job, run it under limits, answer.  ``status_w`` is
    never written: the zygote learns that the worker ended when it closes."""
    from tracker.inspection import probe as pdf_probe

    pdf_probe.warm_up()  # copy-on-write the pages a probe touches, before the job
    try:
        header = read_frame(job_r, None)
        data = read_exact(job_r, header["size"], None)
    except (EOFError, OSError, ValueError):
        return  # the application went away or closed us unused
    _limit(header["timeout_s"], header["memory_mb"])
    cpu = time.process_time()
    try:
        body = {"result": _JOBS[header["job"]](data, header["options"])}
        body["cpu_s"] = time.process_time() - cpu
    except MemoryError:
        body = {"failure": "memory"}
    except BaseException:  # noqa: BLE001 - whatever happens is reported, not raised
        body = {"failure": "crashed"}
    try:
        write_frame(result_w, body)
    except MemoryError:
        os._exit(EXIT_MEMORY)


def _probe_job(data: bytes, options: dict) -> dict:
    from tracker.inspection import probe as pdf_probe

    roots = [base64.b64decode(root) for root in options.get("trust_roots", ())]
    return pdf_probe.probe(data, roots)


_JOBS = {"noop": lambda data, options: {}, "probe": _probe_job}


def _limit(timeout_s: float, memory_mb: int) -> None:
    """Cap this worker's wall clock, CPU seconds, address space and file writes.

    The wall clock is a kernel timer whose SIGALRM, left at its default
    action, terminates the process wherever it is (even inside C code); no
    other process has to watch the time, or be woken up to start watching.
    """
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
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
    """Detach a new worker from everything but its own three pipe ends."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    lowest = 3
    for fd in sorted(keep):
        os.closerange(lowest, fd)
        lowest = fd + 1
    os.closerange(lowest, MAX_FD)


def _quiet() -> None:
    """pypdf logs and warns about every oddity; nobody reads a worker's stderr."""
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")


# --- frames: the wire format of every pipe, used by both sides -------------------


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


def read_frame(fd: int, deadline: float | None, limit: int = MAX_RESULT) -> dict:
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
