"""The manager's first screen answers who is in trouble, why and by when, worst first by what fails."""

from __future__ import annotations

from datetime import date, timedelta

from tracker.compliance.results import ObligationStatus
from tracker.domain.enums import Status, SubjectKind
from tracker.services.attention import vendor_attention
from tracker.services.dashboard import obligation_label

TODAY = date(2026, 12, 1)


def row(vendor: str, obligation: str, status: Status, due_in: int | None = None, ok=False):
    return ObligationStatus(
        obligation,
        SubjectKind.VENDOR_STAFF,
        f"s-{vendor}-{obligation}-{due_in}",
        "某人",
        status,
        "理由",
        "reason",
        TODAY + timedelta(days=due_in) if due_in is not None else None,
        ok,
        vendor,
    )


def test_a_vendor_failing_many_items_ranks_before_one_at_a_lower_percentage():
    half = [row("a", "8.2", Status.COMPLIANT, ok=True), row("a", "8.4", Status.MISSING, 40)]
    many = [row("b", "8.8", Status.OVERDUE, -5 - n) for n in range(7)] + [
        row("b", "8.6", Status.COMPLIANT, ok=True) for _ in range(13)
    ]
    ranked = vendor_attention(half + many, {"a": "甲", "b": "乙"}, TODAY, obligation_label)
    assert [r.vendor for r in ranked] == ["乙", "甲"]
    worst, other = ranked
    assert (worst.late, worst.open, worst.percent) == (7, 7, 65.0)
    assert (other.late, other.open, other.percent) == (0, 1, 50.0)
    assert worst.next_due == TODAY - timedelta(days=11)
    assert worst.reasons.startswith(f"{obligation_label('8.8')}：逾期 7")


def test_late_items_rank_first_then_open_items_then_the_earliest_due_date():
    rows = [
        row("a", "8.4", Status.MISSING, 3),
        row("a", "8.5", Status.MISSING, 4),
        row("b", "8.2", Status.EXPIRED, -1),
        row("c", "8.4", Status.MISSING, 2),
        row("c", "8.5", Status.MISSING, 50),
        row("d", "8.6", Status.COMPLIANT, ok=True),
    ]
    ranked = vendor_attention(rows, {}, TODAY, obligation_label)
    assert [r.vendor_id for r in ranked] == ["b", "c", "a", "d"]
    assert [r.soon for r in ranked] == [0, 1, 2, 0]
    assert ranked[-1].reasons == "" and ranked[-1].next_due is None


def test_the_reasons_name_at_most_three_kinds_and_count_the_rest():
    rows = [row("a", o, Status.MISSING, 10) for o in ("8.1", "8.4", "8.5", "8.6", "8.8")]
    [line] = vendor_attention(rows, {"a": "甲"}, TODAY, obligation_label)
    assert line.reasons.count("：缺件 1") == 3 and line.reasons.endswith("另 2 類")
