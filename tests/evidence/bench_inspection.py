"""Benchmark: inspecting the 2-page pledge against pypdf's own open-and-extract.

Run from the repository root::

    python -m tests.evidence.bench_inspection [--rounds 200] [--pause-ms 0]

Medians, measured interleaved (one of each per round) so that machine noise
hits all of them alike:

* ``pypdf``: ``PdfReader(BytesIO(data))`` and ``extract_text()`` of every page,
  in this process, warm (the baseline), wall time and CPU time;
* ``inspect``: ``inspect_pdf(data, kind="staff_pledge")`` with a warm sandbox:
  hashing, sniffing, one pipe write into a warm worker, the worker's probe
  (pypdf parse and extraction, object scan, normalisation), the answer read
  back and the verdict; wall time;
* ``probe``: the sandbox round trip alone (``Sandbox.run("probe", data)``),
  that is ``inspect`` without hashing, sniffing and the verdict;
* ``worker cpu``: the CPU time the probe took inside the worker;
* ``noop``: a sandbox job that does nothing, the sandbox's fixed cost per file;
* ``startup``: starting the zygote, paid once per process.

``--pause-ms`` sleeps before each measurement, as uploads arrive in real use;
0 runs back to back.  Wall times depend on the machine's load; the CPU ratio
much less.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time

import pypdf

from tests.evidence import corpus
from tracker.inspection.inspector import inspect_pdf
from tracker.inspection.sandbox import Sandbox


def pypdf_open_and_extract(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def measure(rounds: int, pause_s: float) -> dict[str, float]:
    data = corpus.pledge()
    sandbox = Sandbox()
    began = time.perf_counter()
    sandbox.start()
    samples: dict[str, list[float]] = {"startup": [time.perf_counter() - began]}

    def record(name: str, action) -> None:
        time.sleep(pause_s)
        wall, cpu = time.perf_counter(), time.process_time()
        outcome = action()
        samples.setdefault(name, []).append(time.perf_counter() - wall)
        if name == "pypdf":
            samples.setdefault("pypdf cpu", []).append(time.process_time() - cpu)
        if name == "noop":
            pass
        elif getattr(outcome, "cpu_s", None) is not None:
            samples.setdefault("worker cpu", []).append(outcome.cpu_s)

    for round_ in range(rounds + 5):  # the first five warm every path up
        record("pypdf", lambda: pypdf_open_and_extract(data))
        record("inspect", lambda: inspect_pdf(data, kind="staff_pledge", sandbox=sandbox))
        record("probe", lambda: sandbox.run("probe", data))
        record("noop", lambda: sandbox.run("noop"))
        if round_ == 4:
            samples = {"startup": samples["startup"]}
    sandbox.close()
    return {name: statistics.median(values) * 1000 for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--pause-ms", type=float, default=0.0)
    args = parser.parse_args()
    ms = measure(args.rounds, args.pause_ms / 1000)
    print(f"2-page pledge, {args.rounds} rounds, pause {args.pause_ms:g} ms (medians, ms)")
    for name in ("pypdf", "pypdf cpu", "inspect", "probe", "worker cpu", "noop", "startup"):
        print(f"  {name:11} {ms[name]:8.2f}")
    print(f"  inspect / pypdf                  {ms['inspect'] / ms['pypdf']:.2f}x")
    print(f"  (inspect - noop) / pypdf         {(ms['inspect'] - ms['noop']) / ms['pypdf']:.2f}x")
    print(f"  worker cpu / pypdf cpu           {ms['worker cpu'] / ms['pypdf cpu']:.2f}x")


if __name__ == "__main__":
    main()
