"""Notices sent when an event is recorded: a vendor's incident report (8.3), a violation (7.3).

The services that record the event call :func:`incident_records` or
:func:`violation_records` and write what they return in the same change as
the event, so the notice is queued exactly when the event is.

Readings: the agency learns of an incident when the vendor reports it, so its
own report to the competent authority falls due one hour (the catalogue's 8.3
hours, the time the incident-notification rules set) after the vendor's
report.  A violation notice names each not-legitimate record once: a record
already named in an earlier notice of the audit is not named again.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tracker.compliance.catalogue import Catalogue
from tracker.compliance.status import evaluate
from tracker.core.clock import TAIPEI, local_date
from tracker.core.dates import roc_date
from tracker.domain.audits import SampledRecord, SelfAudit
from tracker.domain.enums import Status, SubjectKind
from tracker.domain.facts import Facts
from tracker.domain.outbox import Audience, MessageKind, OutboxContent, OutboxMessage
from tracker.domain.vendors import Agency, Contract, Incident, Vendor
from tracker.notify import drafts as d
from tracker.notify.addresses import agency_addresses, merged
from tracker.notify.digests import PAGE_AUDITS, PAGE_DASHBOARD, home_agency
from tracker.notify.outbox import message_id, message_key, records
from tracker.notify.render import notice_subject
from tracker.storage.store import Store

INCIDENT_OBLIGATION = "8.3"
VIOLATION_OBLIGATION = "7.3"
INCIDENT_AUDIENCES = (Audience.IT_OFFICE, Audience.SECURITY_CONTACT)
VIOLATION_AUDIENCES = (Audience.ETHICS_CONTACT, Audience.IT_OFFICE)


def roc_time(instant: datetime) -> str:
    local = instant.astimezone(TAIPEI) if instant.tzinfo else instant
    return f"{roc_date(local.date())} {local:%H:%M}"


def incident_records(store: Store, incident: Incident, catalogue: Catalogue, now: datetime) -> list:
    """The outbox records of the notice of ``incident`` (``[]`` when it is queued already)."""
    vendor = store.require(Vendor, incident.vendor_id)
    contract = store.get(Contract, incident.contract_id) if incident.contract_id else None
    agencies = _incident_agencies(store, incident, contract, local_date(now))
    if not agencies:
        return []
    hours = catalogue.get(INCIDENT_OBLIGATION).timing.hours or 1
    agency_due = (incident.reported_at or now) + timedelta(hours=hours)
    facts = Facts(
        agencies=tuple(agencies),
        vendors=(vendor,),
        contracts=(contract,) if contract else (),
        incidents=(incident,),
    )
    status = _status(catalogue, facts, INCIDENT_OBLIGATION, incident.id, local_date(now))
    it = d.item(
        obligation_id=INCIDENT_OBLIGATION,
        subject_kind=SubjectKind.INCIDENT,
        subject_id=incident.id,
        due=local_date(agency_due),
        status=status,
        step=d.INCIDENT,
        title=catalogue.get(INCIDENT_OBLIGATION).title_zh,
        subject_label=incident.summary,
        vendor_name=vendor.name,
        page=PAGE_DASHBOARD,
        due_at=agency_due.isoformat(timespec="minutes"),
    )
    details = (
        ("廠商", vendor.name),
        ("委託案", contract.title if contract else "（未指定）"),
        ("事件摘要", incident.summary),
        ("廠商知悉時間", roc_time(incident.known_at)),
        ("廠商通報時間", roc_time(incident.reported_at or now)),
        ("因應措施", incident.measures or "（未填）"),
        (
            "機關通報期限",
            f"{roc_time(agency_due)} 前：機關自廠商通報時知悉，應於知悉後 {hours} 小時內"
            "依資通安全事件通報及應變辦法通報主管機關",
        ),
    )
    draft = _notice(
        agencies,
        INCIDENT_AUDIENCES,
        f"incident:{incident.id}",
        (it,),
        notice_subject("資安事件通報", f"{vendor.name}「{incident.summary}」"),
        details,
        local_date(now),
        "委外廠商已通報資通安全事件（要點第八點第三款），請依資通安全事件通報及應變辦法處理：",
    )
    return _new_records(store, draft, now)


def violation_records(
    store: Store,
    audit: SelfAudit,
    found: list[SampledRecord],
    catalogue: Catalogue,
    now: datetime,
) -> list:
    """The outbox records of the notice of the not-legitimate ``found`` records of ``audit``.

    Records already named in an earlier notice of the audit are left out;
    ``[]`` when none is left.
    """
    named = notified_records(store, audit)
    found = sorted((r for r in found if r.id not in named), key=lambda r: r.line)
    agency = store.get(Agency, audit.agency_id)
    if not found or agency is None:
        return []
    day = local_date(now)
    facts = Facts(agencies=(agency,), audits=(audit,))
    row = _row(catalogue, facts, VIOLATION_OBLIGATION, audit.id, day)
    period = f"{roc_date(audit.period_start)}至{roc_date(audit.period_end)}"
    items = tuple(
        d.item(
            obligation_id=VIOLATION_OBLIGATION,
            subject_kind=SubjectKind.AUDIT,
            subject_id=audit.id,
            due=row.due if row else None,
            status=row.status if row else Status.MISSING,
            step=d.VIOLATION,
            title=catalogue.get(VIOLATION_OBLIGATION).title_zh,
            subject_label=f"{period}自主稽核　查詢紀錄第 {r.line} 行",
            page=PAGE_AUDITS,
            record_id=r.id,
            note=f"{roc_time(r.queried_at)} 帳號 {r.account} 查詢「{r.query_type}」，"
            f"對象 {r.subject_id}；查核說明：{r.note}",
        )
        for r in found
    )
    details = (
        ("機關", agency.name),
        ("稽核期間", period),
        ("不合法查詢", f"{len(found)} 筆"),
    )
    draft = _notice(
        [agency],
        VIOLATION_AUDIENCES,
        f"audit:{audit.id}",
        items,
        notice_subject("違規通知", f"{agency.name}自主稽核發現不合法查詢 {len(found)} 筆"),
        details,
        day,
        "自主稽核查核結果為不合法（要點第七點第三款），請政風單位會同資訊單位處理：",
    )
    return _new_records(store, draft, now)


def notified_records(store: Store, audit: SelfAudit) -> set[str]:
    """Ids of the sampled records an earlier notice of ``audit`` named."""
    event = f"audit:{audit.id}"
    named: set[str] = set()
    for msg in store.all(OutboxMessage, agency=audit.agency_id):
        if msg.event == event:
            content = store.get(OutboxContent, msg.id)
            named |= {it.get("record_id") for it in (content.items if content else ())}
    return named - {None}


def _incident_agencies(store: Store, incident: Incident, contract, day: date) -> list[Agency]:
    """The contract's agency; without one, the agencies of the vendor's current contracts
    (of all its contracts when none is current); 本局 when the vendor has none."""
    if contract is not None:
        ids = {contract.agency_id}
    else:
        contracts = store.all(Contract, vendor=incident.vendor_id)
        current = [c for c in contracts if c.start <= day <= c.end] or contracts
        ids = {c.agency_id for c in current}
    if not ids:
        home = home_agency(store.all(Agency))
        ids = {home} if home else set()
    return [a for a in (store.get(Agency, i) for i in sorted(ids)) if a is not None]


def _row(catalogue: Catalogue, facts: Facts, obligation_id: str, subject_id: str, day: date):
    for row in evaluate(catalogue, facts, day):
        if row.obligation_id == obligation_id and row.subject_id == subject_id:
            return row
    return None


def _status(catalogue, facts, obligation_id, subject_id, day) -> Status:
    row = _row(catalogue, facts, obligation_id, subject_id, day)
    return row.status if row else Status.MISSING


def _notice(agencies, audiences, event, items, subject, details, day, intro) -> d.Draft:
    to = merged(*(agency_addresses(a, aud) for a in agencies for aud in audiences))
    return d.Draft(
        kind=MessageKind.NOTICE,
        audiences=audiences,
        parties=tuple(a.id for a in agencies),
        names=tuple(a.name for a in agencies),
        to=to,
        day=day,
        items=items,
        subject=subject,
        agency_id=agencies[0].id,
        event=event,
        intro=intro,
        details=details,
    )


def _new_records(store: Store, draft: d.Draft, now: datetime) -> list:
    if store.get(OutboxMessage, message_id(message_key(draft))) is not None:
        return []
    return list(records(draft, now))
