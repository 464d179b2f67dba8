"""Timing side by side, and the named figures every benchmark returns.

The machine is shared and noisy, so contenders run interleaved in the same
process (the order alternates from one repetition to the next) and each figure
is a median.  Targets are upper bounds on a figure, judged by the reader of the
table, never asserted by a test.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    """One named result: ``value`` in ``unit``, or ``None`` with the reason in ``not_measured``.

    ``target`` is an upper bound (``None``: reported, no target).
    """

    name: str
    value: float | None
    unit: str = ""
    target: float | None = None
    note: str = ""
    not_measured: str = ""

    @property
    def passed(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value <= self.target

    def to_json(self) -> dict:
        out: dict = {
            "value": None if self.value is None else float(f"{self.value:.4g}"),
            "unit": self.unit,
        }
        if self.target is not None:
            out |= {"target": f"<= {self.target:g}", "pass": self.passed}
        if self.not_measured:
            out["not_measured"] = self.not_measured
        if self.note:
            out["note"] = self.note
        return out


def not_measured(names: list[str], reason: str) -> list[Figure]:
    """Placeholders for figures a run could not produce, each saying why."""
    return [Figure(name, None, not_measured=reason) for name in names]


def timed(work: Callable[[], object]) -> float:
    """Seconds ``work()`` took."""
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def interleave(
    contenders: dict[str, Callable[[int], object]],
    reps: int,
    warmup: int = 1,
    every: dict[str, int] | None = None,
) -> dict[str, list[float]]:
    """Seconds of each ``contender(i)`` for ``i`` in ``range(warmup + reps)``, warm-ups dropped.

    Within repetition ``i`` every contender runs once; the order rotates so
    none always goes first.  ``every={name: k}`` runs a slow contender only in
    every k-th repetition (and in the warm-ups), still between the others.
    """
    names, every = list(contenders), every or {}
    times: dict[str, list[float]] = {name: [] for name in names}
    for i in range(warmup + reps):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            if i >= warmup and (i - warmup) % every.get(name, 1):
                continue
            elapsed = timed(lambda name=name, i=i: contenders[name](i))
            if i >= warmup:
                times[name].append(elapsed)
    return times


def median(values: list[float]) -> float:
    return statistics.median(values)


def ratio(times: dict[str, list[float]], top: str, bottom: str) -> float:
    """Median of ``top`` over median of ``bottom``."""
    return median(times[top]) / median(times[bottom])


def profile_top(work: Callable[[], object], path: Path, limit: int = 25) -> str:
    """Run ``work`` under cProfile, write the top functions by cumulative and own time to ``path``."""
    profiler = cProfile.Profile()
    profiler.runcall(work)
    text = io.StringIO()
    for order in ("cumulative", "tottime"):
        pstats.Stats(profiler, stream=text).strip_dirs().sort_stats(order).print_stats(limit)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.getvalue())
    return text.getvalue()
