"""Who is in trouble, why and by when: one line per vendor for the manager's first screen.

The vendors are ranked by how much is failing — late items first (逾期, 已過期), then every item not
satisfied, then the earliest due date — not by the percentage, which a vendor with two applicable
items can fail by a single one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from tracker.compliance.results import ObligationStatus
from tracker.documents.labels import STATUS
from tracker.domain.enums import Status

LATE = (Status.OVERDUE, Status.EXPIRED)
SOON_DAYS = 30
TOP_REASONS = 3


@dataclass(frozen=True)
class AttentionRow:
    """One vendor's open work: ``late`` (逾期 or 已過期), ``soon`` (due within 30 days), ``open``
    (every item not satisfied), the earliest due date of the open items and the main reasons."""

    vendor_id: str
    vendor: str
    late: int
    soon: int
    open: int
    applicable: int
    percent: float | None
    next_due: date | None
    reasons: str


def vendor_attention(
    rows: list[ObligationStatus], names: dict[str, str], today: date, titles
) -> list[AttentionRow]:
    """The vendors with open items ranked worst first, then those with none (``titles``: obligation
    id → short zh-TW label)."""
    by_vendor: dict[str, list[ObligationStatus]] = defaultdict(list)
    for row in rows:
        if row.vendor_id and row.status != Status.NOT_APPLICABLE:
            by_vendor[row.vendor_id].append(row)
    lines = [
        _line(vid, names.get(vid, vid), items, today, titles) for vid, items in by_vendor.items()
    ]
    return sorted(lines, key=lambda r: (-r.late, -r.open, r.next_due or date.max, r.vendor))


def _line(vendor_id, name, items, today, titles) -> AttentionRow:
    open_items = [r for r in items if not r.ok]
    late = [r for r in open_items if r.status in LATE]
    soon = [
        r
        for r in open_items
        if r.status not in LATE and r.due is not None and (r.due - today).days <= SOON_DAYS
    ]
    dues = [r.due for r in open_items if r.due is not None]
    ok = sum(r.ok for r in items)
    return AttentionRow(
        vendor_id=vendor_id,
        vendor=name,
        late=len(late),
        soon=len(soon),
        open=len(open_items),
        applicable=len(items),
        percent=round(100.0 * ok / len(items), 1) if items else None,
        next_due=min(dues) if dues else None,
        reasons=_reasons(open_items, titles),
    )


def _reasons(open_items, titles) -> str:
    """「8.8 簽訂保密條款及切結書：逾期 3」… for the obligations with the most open items, late first."""
    counts = Counter((r.obligation_id, r.status) for r in open_items)
    worst = sorted(counts.items(), key=lambda kv: (kv[0][1] not in LATE, -kv[1], kv[0][0]))
    parts = [f"{titles(o)}：{STATUS[s]} {n}" for (o, s), n in worst[:TOP_REASONS]]
    more = len(worst) - TOP_REASONS
    return "；".join(parts) + (f"；另 {more} 類" if more > 0 else "")
