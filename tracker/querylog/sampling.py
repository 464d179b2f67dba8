"""The self-audit sample of point 7.2 (自主稽核抽樣): how many, and which rows.

Point 7.2: 「稽核作業最小抽樣比例為千分之一（少於十筆則全數查核）」.

Reading of that sentence, as implemented by :func:`sample_size`: the sample is
at least one in a thousand of the population, rounded up; a population of
fewer than ten records is checked in full; and otherwise the sample is never
smaller than ten.  ``min(n, max(floor, ceil(n * ratio)))`` satisfies both
readings of the parenthesis -- "fewer than ten records in the log: check them
all" and "fewer than ten drawn: draw ten (or all, when there are fewer)" -- so
an audit that follows it passes under either.

Which rows: :func:`draw_sample` is a uniform draw of row indices from a
SHA-256 counter stream keyed by the seed, so the same seed gives the same rows
on any platform and any Python version, and an auditor can re-derive the draw
from this docstring alone (see ``_Stream``).  :func:`risk_picks` adds rows
chosen for a reason, labelled with it, on top of -- never instead of -- the
random minimum.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tracker.core.errors import InvalidInput
from tracker.core.idnumbers import mask_id
from tracker.domain.audits import RANDOM
from tracker.querylog.schema import QueryLog

RULE = "7.2"
RISK_REASONS = ("departed_holder", "outside_office_hours", "no_purpose", "heavy_user")


def sample_size(n: int, ratio: Fraction | int | str, floor: int) -> int:
    """Minimum sample under point 7.2: ``min(n, max(floor, ceil(n * ratio)))``.

    「最小抽樣比例為千分之一（少於十筆則全數查核）」 is read as: at least 1/1000
    of the population, rounded up; everything when the population is under ten;
    and never fewer than ten otherwise.  That meets both readings of the
    parenthesis (fewer than ten records, or fewer than ten drawn).
    Exact integer arithmetic (a float ratio is read through its decimal text,
    so ``0.001`` means 1/1000).  N=0 -> 0, 9 -> 9, 10 -> 10, 10000 -> 10,
    10001 -> 11, 1234567 -> 1235.  Raises InvalidInput for n < 0, a ratio
    outside (0, 1] or a negative floor.
    """
    ratio = _fraction(ratio)
    if n < 0 or not 0 < ratio <= 1 or floor < 0:
        raise InvalidInput(
            f"抽樣參數不正確（母體 {n}、比例 {ratio}、下限 {floor}）",
            f"bad sampling parameters (population {n}, ratio {ratio}, floor {floor})",
        )
    at_ratio = -(-n * ratio.numerator // ratio.denominator)  # ceil without floats
    return min(n, max(floor, at_ratio))


class _Stream:
    """Uniform integers from SHA-256, for :func:`draw_sample`.

    Block ``i`` (0, 1, ...) is ``sha256(f"tracker-sample-v1:{key}:{i}".encode())``,
    read as four big-endian 64-bit words in order.  ``below(m)`` takes the next
    word, skips it when it is at or above the largest multiple of ``m`` not
    exceeding 2**64 (so every remainder is equally likely), and returns
    ``word % m``.  Python's ``random`` is not used: only ``random()`` itself is
    promised to repeat across versions, not ``sample`` or ``randbelow``.
    """

    def __init__(self, key: str):
        self._key, self._block, self._words = key, 0, iter(())

    def below(self, bound: int) -> int:
        limit = (1 << 64) - (1 << 64) % bound
        while True:
            word = next(self._words, None)
            if word is None:
                self._words = self._next_block()
            elif word < limit:
                return word % bound

    def _next_block(self):
        digest = hashlib.sha256(f"tracker-sample-v1:{self._key}:{self._block}".encode()).digest()
        self._block += 1
        return iter([int.from_bytes(digest[i : i + 8], "big") for i in range(0, 32, 8)])


def draw_sample(population_size: int, seed: int | str, size: int) -> list[int]:
    """``size`` distinct row indices in ``range(population_size)``, sorted.

    Robert Floyd's algorithm over :class:`_Stream` keyed by ``str(seed)``: every
    subset of that size is equally likely, and the same arguments give the same
    rows everywhere.  ``size`` is capped at ``population_size``.
    """
    size = min(size, population_size)
    if size == population_size:
        return list(range(population_size))
    stream, chosen = _Stream(str(seed)), set()
    for top in range(population_size - size, population_size):
        pick = stream.below(top + 1)
        chosen.add(top if pick in chosen else pick)
    return sorted(chosen)


def filter_period(
    log: QueryLog, date_from: date | None = None, date_to: date | None = None
) -> QueryLog:
    """Rows queried from the start of ``date_from`` to the end of ``date_to`` (both whole days).

    ``None`` leaves that side open.  A log sorted by time is sliced without a copy.
    """
    if date_from is None and date_to is None:
        return log
    seconds = _seconds(log.table)
    low = _day_start(date_from) if date_from else np.iinfo(np.int64).min
    high = _day_start(date_to + timedelta(days=1)) if date_to else np.iinfo(np.int64).max
    if seconds.size < 2 or bool(np.all(seconds[1:] >= seconds[:-1])):
        start, stop = np.searchsorted(seconds, [low, high], side="left")
        table = log.table.slice(int(start), int(stop - start))
    else:
        table = log.table.filter(pa.array((seconds >= low) & (seconds < high)))
    return replace(log, table=table)


def risk_picks(
    log: QueryLog,
    *,
    office_hours: tuple[int, int] = (8, 18),
    departed_accounts: Collection[str] | Mapping[str, date] = (),
    top_n_heavy_users: int = 3,
    limit_per_reason: int = 5,
    seed: int | str = 0,
    exclude: Collection[int] = (),
) -> list[tuple[int, str]]:
    """Extra rows chosen for a reason, as ``(row_index, reason)`` sorted by index.

    Reasons are drawn in this order, and a row drawn for one is not drawn again:
    ``departed_holder`` -- the account is in ``departed_accounts`` (a mapping
    gives each account's departure day: only queries on or after it count);
    ``outside_office_hours`` -- Saturday, Sunday, or outside
    ``[start, end)`` o'clock (public holidays are not known here);
    ``no_purpose`` -- the export has a purpose column and the cell is blank;
    ``heavy_user`` -- one of the ``top_n_heavy_users`` accounts with the most queries.
    Up to ``limit_per_reason`` rows per reason are drawn with :func:`draw_sample`
    (keyed ``"{seed}/{reason}"``) among rows not in ``exclude`` nor picked before.
    """
    if not log.population:
        return []
    taken = np.zeros(log.population, dtype=bool)
    taken[list(exclude)] = True
    picks: list[tuple[int, str]] = []
    for reason, mask in _risk_masks(log, office_hours, departed_accounts, top_n_heavy_users):
        candidates = np.flatnonzero(mask & ~taken)
        chosen = candidates[draw_sample(candidates.size, f"{seed}/{reason}", limit_per_reason)]
        taken[chosen] = True
        picks += [(int(i), reason) for i in chosen]
    return sorted(picks)


def _risk_masks(log: QueryLog, office_hours, departed, top_n: int) -> list[tuple[str, np.ndarray]]:
    """Per reason, the rows that fit it, in the order of ``RISK_REASONS``."""
    table, masks = log.table, {}
    with ThreadPoolExecutor(1) as pool:  # accounts are encoded while the times are looked at
        accounts = pool.submit(_account_codes, table) if departed or top_n > 0 else None
        weekday = pc.day_of_week(table["queried_at"]).to_numpy()  # Monday = 0
        hour = pc.hour(table["queried_at"]).to_numpy()
        start, end = office_hours
        masks["outside_office_hours"] = (weekday >= 5) | (hour < start) | (hour >= end)
        if log.has_column("purpose"):
            masks["no_purpose"] = _numpy(table["purpose"].is_null())
        codes, names = accounts.result() if accounts else (None, [])
    if departed:
        masks["departed_holder"] = _departed_mask(_seconds(table), codes, names, departed)
    if top_n > 0:
        counts = np.bincount(codes, minlength=len(names))
        ranked = sorted(range(len(names)), key=lambda code: (-counts[code], names[code]))
        heavy = np.zeros(len(names), dtype=bool)  # a lookup by code: np.isin sorts 1M codes
        heavy[ranked[:top_n]] = True
        masks["heavy_user"] = heavy[codes]
    return [(reason, masks[reason]) for reason in RISK_REASONS if reason in masks]


def _account_codes(table: pa.Table) -> tuple[np.ndarray, list[str]]:
    """Per row, the index of its stripped account in the returned sorted list of names."""
    encoded = pc.dictionary_encode(table["account"].combine_chunks())
    stripped = [name.strip() for name in encoded.dictionary.to_pylist()]
    names = sorted(set(stripped))
    position = {name: index for index, name in enumerate(names)}
    remap = np.array([position[name] for name in stripped], dtype=np.int64)
    return remap[encoded.indices.to_numpy()], names


def _departed_mask(seconds: np.ndarray, codes: np.ndarray, names: list[str], departed):
    since = np.full(len(names), np.iinfo(np.int64).max)  # never, for the others
    for name in departed:
        code = bisect.bisect_left(names, str(name).strip())
        if code < len(names) and names[code] == str(name).strip():
            day = departed[name] if isinstance(departed, Mapping) else None
            since[code] = _day_start(day) if day else np.iinfo(np.int64).min
    return seconds >= since[codes]


@dataclass(frozen=True)
class Sample:
    """The rows drawn for one self-audit (point 7.2), ready to show or keep.

    ``population`` counts the rows in the period; ``sample_size`` is the
    minimum random draw; ``rows`` also holds any risk picks (``pick`` names
    why) in table order: file order for an export, time order for stored
    rows.  Subject ids in ``rows`` are masked.
    """

    population: int
    sample_size: int
    ratio: Fraction
    floor: int
    seed: int | str
    rows: list[dict[str, Any]]
    date_from: date | None = None
    date_to: date | None = None
    sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict: ``population``, ``sample_size``, ``seed``, ``rows`` and the rule's terms."""
        return {
            "population": self.population,
            "sample_size": self.sample_size,
            "seed": self.seed,
            "rule": RULE,
            "ratio": f"{self.ratio.numerator}/{self.ratio.denominator}",
            "floor": self.floor,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "sha256": self.sha256,
            "risk_picks": sum(row["pick"] != RANDOM for row in self.rows),
            "rows": self.rows,
        }


def draw_audit_sample(
    log: QueryLog,
    seed: int | str,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    ratio: Fraction | int | str,
    floor: int,
    risk: Mapping[str, Any] | None = None,
) -> Sample:
    """Filter to the period, draw the 7.2 minimum at random and, when ``risk``
    is given (keyword arguments of :func:`risk_picks` other than ``seed`` and
    ``exclude``; ``{}`` for the defaults), add risk picks beyond the minimum.
    ``ratio`` and ``floor`` are the catalogue's 7.2 rule
    (:meth:`tracker.compliance.catalogue.Catalogue.sampling_rule`)."""
    log = filter_period(log, date_from, date_to)
    size = sample_size(log.population, ratio, floor)
    picks = [(i, RANDOM) for i in draw_sample(log.population, seed, size)]
    if risk is not None:
        picks += risk_picks(log, seed=seed, exclude=[i for i, _ in picks], **risk)
    rows = _rows(log.table, sorted(picks))
    return Sample(
        log.population, size, _fraction(ratio), floor, seed, rows, date_from, date_to, log.sha256
    )


def _rows(table: pa.Table, picks: list[tuple[int, str]]) -> list[dict[str, Any]]:
    records = table.take(pa.array([i for i, _ in picks], pa.int64())).to_pylist()
    return [_row(record, pick) for record, (_, pick) in zip(records, picks, strict=True)]


def _row(record: dict[str, Any], pick: str) -> dict[str, Any]:
    row = {
        "line": record["line"],
        "queried_at": record["queried_at"].isoformat(),
        "account": record["account"].strip(),
        "query_type": record["query_type"].strip(),
        "subject_id": mask_id(record["subject_id"]),
        "purpose": (record["purpose"] or "").strip() or None,
        "ip": (record["ip"] or "").strip() or None,
        "pick": pick,
    }
    if "source_sha256" in record:
        row["source_sha256"] = record["source_sha256"]
    return row


def _fraction(ratio: Fraction | int | str | float) -> Fraction:
    """Exact ratio; a float goes through its decimal text, so 0.001 is 1/1000."""
    return Fraction(str(ratio)) if isinstance(ratio, float) else Fraction(ratio)


def _seconds(table: pa.Table) -> np.ndarray:
    return table["queried_at"].cast(pa.int64()).to_numpy()


def _numpy(values) -> np.ndarray:
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=bool)


def _day_start(day: date) -> int:
    return int((datetime(day.year, day.month, day.day) - datetime(1970, 1, 1)).total_seconds())
