"""The self-audit sample of point 7.2: size rule, reproducible draw, risk picks."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date, datetime, timedelta
from fractions import Fraction

import pytest

from tests.audit.exports import csv_bytes, log_rows
from tracker.compliance.loader import default_catalogue
from tracker.core.errors import InvalidInput
from tracker.querylog.reader import read_export
from tracker.querylog.sampling import (
    draw_audit_sample,
    draw_sample,
    filter_period,
    risk_picks,
    sample_size,
)

RATIO, FLOOR = default_catalogue().sampling_rule()
RULE = {"ratio": RATIO, "floor": FLOOR}  # the catalogue's 7.2 rule


@pytest.mark.parametrize(
    "population, expected",
    [
        (0, 0),
        (1, 1),
        (9, 9),
        (10, 10),
        (999, 10),
        (1000, 10),
        (10000, 10),
        (10001, 11),
        (1234567, 1235),
        (10**15 + 1, 10**12 + 1),
    ],
)
def test_the_sample_is_a_thousandth_at_least_ten_and_everything_below_ten(population, expected):
    assert sample_size(population, **RULE) == expected


def test_a_float_ratio_is_read_as_its_decimal_text_so_no_rounding_error_creeps_in():
    assert sample_size(10001, 0.001, 10) == 11
    assert sample_size(3000, Fraction(1, 3), floor=0) == 1000


def test_ratio_and_floor_are_parameters_for_the_catalogue():
    assert sample_size(100, "1/20", floor=2) == 5
    assert sample_size(100, Fraction(1, 1000), floor=0) == 1


@pytest.mark.parametrize(
    "args", [(-1, RATIO, FLOOR), (10, 0, FLOOR), (10, 2, FLOOR), (10, Fraction(1, 1000), -1)]
)
def test_nonsense_sampling_parameters_are_refused(args):
    with pytest.raises(InvalidInput):
        sample_size(*args)


def test_the_same_seed_draws_the_same_rows():
    assert draw_sample(1_000_000, 42, 1000) == draw_sample(1_000_000, 42, 1000)


def test_a_different_seed_draws_different_rows_in_a_large_population():
    assert draw_sample(1_000_000, 42, 1000) != draw_sample(1_000_000, 43, 1000)


def test_a_draw_is_sorted_distinct_and_within_the_population():
    rows = draw_sample(5000, 7, 500)
    assert rows == sorted(set(rows)) and len(rows) == 500 and rows[0] >= 0 and rows[-1] < 5000


def test_a_draw_of_at_least_the_population_takes_every_row():
    assert draw_sample(7, 1, 10) == list(range(7))
    assert draw_sample(0, 1, 10) == []


def test_the_draw_is_pinned_so_a_library_upgrade_cannot_change_a_past_sample():
    pinned = [62690, 113352, 301155, 365896, 410073, 499764, 696970, 868201, 903910, 969760]
    assert draw_sample(1_000_000, 42, 10) == pinned


def test_the_draw_can_be_re_derived_from_its_documented_definition():
    def words(key):
        block = 0
        while True:
            digest = hashlib.sha256(f"tracker-sample-v1:{key}:{block}".encode()).digest()
            yield from (int.from_bytes(digest[i : i + 8], "big") for i in range(0, 32, 8))
            block += 1

    def below(stream, bound):
        limit = 2**64 - 2**64 % bound
        return next(w for w in stream if w < limit) % bound

    stream, chosen = words("2025"), set()
    for top in range(10_000 - 12, 10_000):
        pick = below(stream, top + 1)
        chosen.add(top if pick in chosen else pick)
    assert draw_sample(10_000, 2025, 12) == sorted(chosen)


def test_every_row_is_about_equally_likely_to_be_drawn():
    counts = Counter(i for seed in range(4000) for i in draw_sample(20, seed, 5))
    assert set(counts) == set(range(20))
    assert all(800 <= count <= 1200 for count in counts.values())  # expected 1000 each


# --- period and risk ----------------------------------------------------------------


def log_of(rows):
    return read_export(csv_bytes(rows))


def row(when: datetime, account="u1", purpose="訪視"):
    return [when.strftime("%Y-%m-%d %H:%M:%S"), account, "居留資料查詢", "A123456789", purpose, ""]


def test_a_period_includes_both_whole_days():
    days = [datetime(2025, 3, d, h) for d in (1, 2, 3, 4) for h in (0, 23)]
    log = filter_period(log_of([row(t) for t in days]), date(2025, 3, 2), date(2025, 3, 3))
    assert log.table["queried_at"].to_pylist() == days[2:6]


def test_a_period_is_found_in_an_unsorted_log_too():
    days = [datetime(2025, 3, d, 12) for d in (4, 1, 3, 2)]
    log = filter_period(log_of([row(t) for t in days]), date(2025, 3, 2), None)
    assert log.table["line"].to_pylist() == [2, 4, 5]


def test_queries_at_weekends_and_outside_office_hours_are_picked_as_such():
    monday = datetime(2025, 3, 3)
    hours = [(7, 59), (8, 0), (17, 59), (18, 0)]
    times = [monday.replace(hour=h, minute=m) for h, m in hours] + [
        monday + timedelta(days=5, hours=10)
    ]
    picks = risk_picks(log_of([row(t) for t in times]), top_n_heavy_users=0, limit_per_reason=10)
    assert [i for i, _ in picks] == [0, 3, 4]
    assert {reason for _, reason in picks} == {"outside_office_hours"}


def test_queries_without_purpose_are_picked_only_when_the_export_has_a_purpose_column():
    office = datetime(2025, 3, 3, 10)
    rows = [row(office), row(office, purpose="")]
    assert risk_picks(log_of(rows), top_n_heavy_users=0) == [(1, "no_purpose")]
    without = read_export(
        csv_bytes([r[:4] for r in rows], header=["查詢時間", "帳號", "查詢項目", "證號"])
    )
    assert risk_picks(without, top_n_heavy_users=0) == []


def test_queries_by_departed_holders_are_picked_from_their_departure_day():
    times = [datetime(2025, 3, d, 10) for d in (3, 4, 5)]
    log = log_of([row(t, account=" ghost ") for t in times] + [row(times[0], account="u2")])
    picks = risk_picks(log, departed_accounts={"ghost"}, top_n_heavy_users=0, limit_per_reason=9)
    assert picks == [(0, "departed_holder"), (1, "departed_holder"), (2, "departed_holder")]
    dated = risk_picks(log, departed_accounts={"ghost": date(2025, 3, 4)}, top_n_heavy_users=0)
    assert dated == [(1, "departed_holder"), (2, "departed_holder")]


def test_the_heaviest_users_queries_are_picked():
    office = datetime(2025, 3, 3, 10)
    rows = [row(office, account="busy")] * 5 + [row(office, account="calm")]
    picks = risk_picks(log_of(rows), top_n_heavy_users=1, limit_per_reason=2)
    assert len(picks) == 2 and all(i < 5 and reason == "heavy_user" for i, reason in picks)


def test_risk_picks_respect_the_limit_and_never_repeat_a_row():
    night = datetime(2025, 3, 3, 2)
    log = log_of([row(night + timedelta(minutes=i), purpose="") for i in range(50)])
    picks = risk_picks(log, limit_per_reason=4, top_n_heavy_users=1, exclude=range(10), seed=3)
    indices = [i for i, _ in picks]
    assert len(picks) == 12 and len(set(indices)) == 12 and min(indices) >= 10
    reasons = Counter(reason for _, reason in picks)
    assert reasons == {"outside_office_hours": 4, "no_purpose": 4, "heavy_user": 4}


def test_an_audit_sample_masks_subject_ids_and_labels_each_pick():
    log = log_of([row(datetime(2025, 3, 3, 2, i)) for i in range(30)])
    sample = draw_audit_sample(log, 11, **RULE, risk={"limit_per_reason": 1})
    assert sample.population == 30 and sample.sample_size == 10
    picks = Counter(r["pick"] for r in sample.rows)
    assert picks == {"random": 10, "outside_office_hours": 1, "heavy_user": 1}
    assert all(r["subject_id"] == "A12****789" for r in sample.rows)
    assert [r["line"] for r in sample.rows] == sorted(r["line"] for r in sample.rows)
    assert sample.rows[0]["queried_at"].startswith("2025-03-03T02:")


def test_an_audit_sample_over_a_period_counts_only_that_period():
    rows = [row(datetime(2025, 3, 1, 10) + timedelta(days=d)) for d in range(20)]
    sample = draw_audit_sample(
        log_of(rows), 1, **RULE, date_from=date(2025, 3, 5), date_to=date(2025, 3, 6)
    )
    assert sample.population == 2 and [r["line"] for r in sample.rows] == [6, 7]
    assert sample.to_dict()["from"] == "2025-03-05"


def test_an_audit_sample_of_an_empty_log_is_empty():
    sample = draw_audit_sample(log_of([]), 1, **RULE, risk={})
    assert (sample.population, sample.sample_size, sample.rows) == (0, 0, [])


def test_a_large_log_gives_a_reproducible_sample():
    log = read_export(csv_bytes(log_rows(20_000)))
    first, again = draw_audit_sample(log, 5, **RULE), draw_audit_sample(log, 5, **RULE)
    assert first.sample_size == 20 and first.rows == again.rows
    assert draw_audit_sample(log, 6, **RULE).rows != first.rows


def test_values_are_kept_as_exported_and_shown_stripped():
    log = log_of([row(datetime(2025, 3, 3, 10), account=" u7 ")])
    assert log.table["account"].to_pylist() == [" u7 "]
    assert draw_audit_sample(log, 1, **RULE).rows[0]["account"] == "u7"
