"""Security incidents (資安事件, 8.3): the vendor reports at once and adds its measures; the IT office
acknowledges, may accept a late report with a recorded reason, and closes with the final report.

Every step is one store write, so the activity log holds each change with its author.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from tracker.compliance.loader import default_catalogue
from tracker.core import clock
from tracker.core.dates import roc_short
from tracker.core.errors import InvalidInput, NotAllowed
from tracker.domain.vendors import Contract, Incident, Vendor
from tracker.notify.notices import incident_records
from tracker.services.vendors import clean_text
from tracker.storage.registry import new_id
from tracker.storage.store import Store

MAX_MEASURES = 8000  # the whole 因應措施 text, with every addition


def report_incident(
    store: Store,
    actor: str,
    *,
    vendor_id: str,
    summary: str,
    known_at: datetime,
    contract_id: str | None = None,
    measures: str = "",
    reported_at: datetime | None = None,
) -> Incident:
    """8.3: a vendor reports an incident; ``reported_at`` defaults to now.

    Its notice to the agency's IT office and security contact is queued in the
    outbox with it (:func:`tracker.notify.notices.incident_records`); the
    caller may send it at once (tracker.services.notifications.send_event_notices).
    """
    store.require(Vendor, vendor_id)
    if contract_id is not None and store.require(Contract, contract_id).vendor_id != vendor_id:
        raise InvalidInput("委託案不屬於此廠商", "the contract belongs to another vendor")
    reported_at = reported_at or clock.now()
    if known_at.tzinfo is None:
        known_at = known_at.replace(tzinfo=clock.TAIPEI)
    if known_at > reported_at:
        raise InvalidInput("知悉時間不得晚於通報時間", "the time of knowledge is after the report")
    incident = Incident(
        id=new_id("inc"),
        vendor_id=vendor_id,
        contract_id=contract_id,
        summary=clean_text(summary, "事件摘要", "summary", max_len=500),
        known_at=known_at,
        reported_at=reported_at,
        measures=clean_text(measures, "因應措施", "measures", required=False, max_len=2000),
    )
    with store.locked():  # the notice (tracker.notify) is queued in the same logged change
        notice = incident_records(store, incident, default_catalogue(), clock.now())
        store.put_many([incident, *notice], actor=actor, action="incident_reported")
    return incident


def add_measures(
    store: Store, actor: str, incident_id: str, text: str, *, vendor_id: str | None = None
) -> Incident:
    """8.3: the vendor adds to its measures (因應措施); each addition is stamped with its time.

    ``vendor_id`` is the adding vendor user's vendor: another vendor's incident is refused.
    """
    addition = clean_text(text, "因應措施", "measures", max_len=2000)
    with store.locked():
        incident = _open(store, incident_id, vendor_id)
        now = clock.now()
        stamp = f"〔{roc_short(now.date())} {now:%H:%M} 補充〕"
        measures = f"{incident.measures}\n{stamp}{addition}".strip()
        if len(measures) > MAX_MEASURES:
            raise InvalidInput(
                f"因應措施合計超過 {MAX_MEASURES} 字，請精簡後再補充",
                f"the measures exceed {MAX_MEASURES} characters",
            )
        return store.put(
            replace(incident, measures=measures), actor=actor, action="incident_measures_added"
        )


def acknowledge(store: Store, actor: str, incident_id: str) -> Incident:
    """The IT office has received the report (once; a second acknowledgement is refused)."""
    with store.locked():
        incident = _open(store, incident_id)
        if incident.acknowledged_at is not None:
            raise NotAllowed(
                f"此事件已於 {roc_short(clock.local_date(incident.acknowledged_at))} 由 "
                f"{incident.acknowledged_by} 確認",
                "the incident is already acknowledged",
            )
        changed = replace(incident, acknowledged_at=clock.now(), acknowledged_by=actor)
        return store.put(changed, actor=actor, action="incident_acknowledged")


def resolve_late_report(store: Store, actor: str, incident_id: str, reason: str) -> Incident:
    """8.3: the IT office accepts a report made after the deadline, recording why; the late report
    then no longer counts as 逾期 (the lateness itself stays on record in the times)."""
    reason = clean_text(reason, "逾時通報之處理理由", "reason", max_len=1000)
    with store.locked():
        incident = store.require(Incident, incident_id)
        if incident.late_reason:
            raise NotAllowed("此事件之逾時通報已處理", "the late report is already resolved")
        changed = replace(incident, late_reason=reason)
        return store.put(changed, actor=actor, action="incident_late_report_resolved")


def close_incident(store: Store, actor: str, incident_id: str, final_report: str) -> Incident:
    """The IT office closes the incident with its final report (結案報告); acknowledges it if not yet."""
    report = clean_text(final_report, "結案報告", "final report", max_len=4000)
    with store.locked():
        incident = _open(store, incident_id)
        now = clock.now()
        changed = replace(
            incident,
            closed=True,
            closed_at=now,
            closed_by=actor,
            final_report=report,
            acknowledged_at=incident.acknowledged_at or now,
            acknowledged_by=incident.acknowledged_by or actor,
        )
        return store.put(changed, actor=actor, action="incident_closed")


def is_late(incident: Incident, hours: int) -> bool:
    """Reported (or still unreported) more than ``hours`` after becoming known."""
    deadline = incident.known_at + timedelta(hours=hours)
    return (incident.reported_at or clock.now()) > deadline


def _open(store: Store, incident_id: str, vendor_id: str | None = None) -> Incident:
    incident = store.require(Incident, incident_id)
    if vendor_id is not None and incident.vendor_id != vendor_id:
        raise NotAllowed("無權存取此資料", f"incident {incident_id} belongs to another vendor")
    if incident.closed:
        raise NotAllowed(f"「{incident.summary}」已結案，不能再變更", "the incident is closed")
    return incident
