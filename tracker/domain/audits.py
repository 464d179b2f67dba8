"""Self-audits of the query records (point 七): the audit, the imported query logs and the sampled records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

RANDOM = "random"  # a sampled record drawn at random (7.2); risk picks name their reason


@dataclass(frozen=True)
class SelfAudit:
    """A self-audit of one agency's query records for one period (7.2).

    ``closed_on`` is set once every sampled record has a finding.
    ``sample_ratio`` (``"1/1000"``) and ``sample_floor`` are the catalogue's
    7.2 rule as it stood when the audit was opened; ``sample_size`` counts the
    random draw, ``risk_picks`` the records the account manager added on top.
    ``violations`` counts "not legitimate" findings; the case they open is
    ``notified_on``/``notified_units`` (7.3), ``corrective_action`` with
    ``corrective_due``/``corrective_done_on`` (7.4) and ``recommendation`` (7.5).
    ``record_pdf_id``/``record_xlsx_id`` name the audit record's evidence.
    """

    id: str
    agency_id: str
    period_start: date
    period_end: date
    population: int = 0
    sample_size: int = 0
    seed: int = 0
    opened_by: str = ""
    opened_at: datetime | None = None
    closed_on: date | None = None
    violations: int = 0
    notified_on: date | None = None
    corrective_due: date | None = None
    corrective_done_on: date | None = None
    recommendation: str = ""
    sample_ratio: str = ""
    sample_floor: int = 0
    risk_picks: int = 0
    closed_by: str = ""
    notified_units: str = ""
    corrective_action: str = ""
    record_pdf_id: str = ""
    record_xlsx_id: str = ""


@dataclass(frozen=True)
class QueryLogImport:
    """One NIA export imported for an agency; the original file is kept by ``sha256``.

    ``unrecognised_columns``: the export's columns no field was read from;
    ``totals_row_line``/``totals_row_count``: its final totals row (合計 N 筆),
    skipped because N equals ``rows`` (``None``: there was none).
    """

    id: str
    agency_id: str
    sha256: str
    rows: int
    imported_by: str
    imported_at: datetime
    format: str
    filename: str = ""
    first_queried_at: datetime | None = None
    last_queried_at: datetime | None = None
    unrecognised_columns: tuple[str, ...] = ()
    totals_row_line: int | None = None
    totals_row_count: int | None = None


@dataclass(frozen=True)
class SampledRecord:
    """One query-log row drawn for an audit, with its finding.

    ``subject_id`` is masked; ``pick`` is ``random`` or a risk reason
    (``departed_holder``, ``outside_office_hours``, ``no_purpose``, ``heavy_user``);
    ``queried_at`` is naive Taipei time as exported.  ``finding`` is ``""``
    until a reviewer records one of
    :data:`~tracker.services.audit_findings.FINDINGS`.
    """

    id: str
    audit_id: str
    agency_id: str
    line: int
    queried_at: datetime
    account: str
    query_type: str
    subject_id: str
    purpose: str = ""
    ip: str = ""
    pick: str = RANDOM
    source_sha256: str = ""
    finding: str = ""
    note: str = ""
    case_ref: str = ""
    reviewed_by: str = ""
    reviewed_at: datetime | None = None
