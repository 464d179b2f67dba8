"""Benchmark: inspecting the 2-page pledge against pypdf's own open-and-extract.

Run from the repository root::

    python -m tests.evidence.bench_inspection [--rounds 200] [--pause-ms 0]

Medians in milliseconds, measured interleaved (one of each per round) so that
machine noise hits all of them alike:

* ``pypdf``: ``PdfReader(BytesIO(data))`` and ``extract_text()`` of every page,
  in this process, warm (the baseline);
* ``inspect``: ``inspect_pdf(data, kind="staff_pledge")`` with a warm sandbox:
  hashing, sniffing, two pipe hops each way, the worker's probe (pypdf
  parse and extraction, object scan, normalisation) and the verdict;
* ``noop``: a sandbox job that does nothing, the sandbox's fixed cost per file;
* ``startup``: starting the zygote, paid once per process.

``--pause-ms`` sleeps between rounds, as uploads arrive in real use (the
spare workers are then always warm); 0 runs back to back.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time

import pypdf

from tests.evidence import corpus
from tracker.inspection import inspect_pdf
from tracker.sandbox import Sandbox


def pypdf_open_and_extract(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def timed(action) -> float:
    began = time.perf_counter()
    action()
    return (time.perf_counter() - began) * 1000


def measure(rounds: int, pause_s: float) -> dict[str, float]:
    data = corpus.pledge()
    sandbox = Sandbox()
    startup = timed(sandbox.start)
    actions = {
        "pypdf": lambda: pypdf_open_and_extract(data),
        "inspect": lambda: inspect_pdf(data, kind="staff_pledge", sandbox=sandbox),
        "noop": lambda: sandbox.run("noop"),
    }
    for action in actions.values():  # warm every path once
        action()
    samples: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(rounds):
        for name, action in actions.items():
            time.sleep(pause_s)
            samples[name].append(timed(action))
    sandbox.close()
    result = {name: statistics.median(values) for name, values in samples.items()}
    return result | {"startup": startup}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--pause-ms", type=float, default=0.0)
    args = parser.parse_args()
    ms = measure(args.rounds, args.pause_ms / 1000)
    print(f"2-page pledge, {args.rounds} rounds, pause {args.pause_ms:g} ms (medians, ms)")
    for name in ("pypdf", "inspect", "noop", "startup"):
        print(f"  {name:8} {ms[name]:8.2f}")
    print(f"  inspect / pypdf            {ms['inspect'] / ms['pypdf']:.2f}x")
    print(f"  (inspect - noop) / pypdf   {(ms['inspect'] - ms['noop']) / ms['pypdf']:.2f}x")


if __name__ == "__main__":
    main()
