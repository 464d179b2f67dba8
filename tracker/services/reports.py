"""The compliance report as plain data (``status --json``) and as a text table."""

from __future__ import annotations

from tracker.compliance.rollups import Rollup
from tracker.documents.labels import STATUS
from tracker.services.compliance import ComplianceReport


def _rollup_dict(r: Rollup) -> dict:
    # counts sorted by status: the same data prints the same bytes, in whatever order
    # the store handed out the records (the folder and PostgreSQL order them differently)
    counts = dict(sorted(r.counts.items()))
    return {"ok": r.ok, "applicable": r.applicable, "percent": r.percent, "counts": counts}


def report_as_dict(report: ComplianceReport) -> dict:
    """Everything ``status --json`` prints: stable keys, ISO dates, sorted rows."""
    rows = sorted(report.rows, key=lambda r: (r.obligation_id, r.subject_kind.value, r.subject_id))
    return {
        "date": report.today.isoformat(),
        "overall": _rollup_dict(report.overall),
        "by_vendor": {k: _rollup_dict(v) for k, v in sorted(report.by_vendor.items())},
        "by_contract": {k: _rollup_dict(v) for k, v in sorted(report.by_contract.items())},
        "by_agency": {k: _rollup_dict(v) for k, v in sorted(report.by_agency.items())},
        "by_obligation": {k: _rollup_dict(v) for k, v in sorted(report.by_obligation.items())},
        "rows": [
            {
                "obligation": r.obligation_id,
                "subject_kind": r.subject_kind.value,
                "subject_id": r.subject_id,
                "subject": r.subject_label,
                "status": r.status.value,
                "due": r.due.isoformat() if r.due else None,
                "reason": r.reason_en,
                "reason_zh": r.reason_zh,
                "ok": r.ok,
                "vendor_id": r.vendor_id,
                "contract_id": r.contract_id,
                "agency_id": r.agency_id,
                "evidence_id": r.evidence_id,
            }
            for r in rows
        ],
    }


def report_as_table(report: ComplianceReport) -> str:
    """A plain-text summary: overall, then per obligation."""
    lines = [
        f"合規率 compliance {report.overall.percent if report.overall.percent is not None else '—'}% "
        f"({report.overall.ok}/{report.overall.applicable})  日期 {report.today.isoformat()}",
        "",
    ]
    lines.append(f"{'項次':<6}{'適用':>6}{'符合':>6}{'%':>8}  狀態 statuses")
    for oid, r in sorted(
        report.by_obligation.items(),
        key=lambda kv: [int(p) for p in kv[0].split(".") if p.isdigit()],
    ):
        counts = "、".join(
            f"{STATUS[s]} {n}" for s, n in sorted(r.counts.items()) for s in [_status(s)]
        )
        pct = f"{r.percent:.1f}" if r.percent is not None else "—"
        lines.append(f"{oid:<8}{r.applicable:>6}{r.ok:>6}{pct:>8}  {counts}")
    return "\n".join(lines)


def _status(value: str):
    from tracker.domain.enums import Status

    return Status(value)
