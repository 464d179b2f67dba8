"""The self-audit of query logs (自主稽核, points 7.2–7.5) as a workflow in the store.

1. :func:`import_query_log` keeps an NIA export: its rows in the
   :class:`~tracker.querylog.store.LogStore`, the original file in the evidence
   folder by SHA-256, and a :class:`QueryLogImport` record in the store.
2. :func:`open_audit` takes the agency's imported rows of a period as the
   population and draws the 7.2 minimum at random, reproducibly from a recorded
   seed; :func:`add_risk_picks` adds labelled risk-based records on top.
3. :func:`record_finding` gives each :class:`SampledRecord` a finding.
4. :func:`close_audit` refuses while any finding is missing, then stores the
   audit record (抽查紀錄, PDF and XLSX) as evidence.
5. A "not legitimate" finding opens the audit's case: :func:`record_case`
   (7.3 notification, 7.4 corrective action, 7.5 recommendation).  Until the
   corrective action is done the accounts concerned are flagged
   (:func:`flagged_accounts`, read by the 5.5/6.1 status checks).

Sampled records keep the subject ID masked only; the full number stays in
the imported log, which the agency needs to answer the NIA.

This module is the front door and holds the readers (:func:`audits_done`,
:func:`flagged_accounts`, …); the steps are split by concept:
:mod:`~tracker.services.log_imports` (1), :mod:`~tracker.services.audit_sampling`
(2) and :mod:`~tracker.services.audit_findings` (3–5).
"""

from __future__ import annotations

from tracker.core.errors import NotAllowed
from tracker.domain.accounts import NiaAccount
from tracker.domain.audits import SelfAudit
from tracker.domain.evidence import Evidence
from tracker.domain.vendors import Agency
from tracker.services.audit_sampling import sampled_records
from tracker.storage.blobs import BlobStore
from tracker.storage.store import Store

REQUIRED_PER_YEAR = 2


# --- reading -------------------------------------------------------------------


def list_audits(store: Store, agency_id: str | None = None) -> list[SelfAudit]:
    return sorted(
        store.all(SelfAudit, agency=agency_id), key=lambda a: (a.agency_id, a.period_start, a.id)
    )


def audits_done(store: Store, year: int) -> dict[str, int]:
    """7.2: per agency id, the audits closed in ``year`` (each agency listed, 0 included)."""
    done = dict.fromkeys((a.id for a in store.all(Agency)), 0)
    for audit in store.all(SelfAudit):
        if audit.closed_on and audit.closed_on.year == year:
            done[audit.agency_id] = done.get(audit.agency_id, 0) + 1
    return done


def flagged_accounts(store: Store) -> frozenset[str]:
    """5.5, 6.1: ids of NIA accounts with a "not legitimate" finding whose case is not resolved.

    Read as: resolved once the audit's corrective action is done
    (``corrective_done_on``).  A log account is matched to the register by the
    account's ``login``, else by its id.
    """
    open_cases = [a for a in store.all(SelfAudit) if a.violations and a.corrective_done_on is None]
    flagged: set[str] = set()
    for audit in open_cases:
        names = {
            r.account for r in sampled_records(store, audit.id) if r.finding == "not_legitimate"
        }
        for account in store.all(NiaAccount, agency=audit.agency_id):
            if account.login in names or account.id in names:
                flagged.add(account.id)
    return frozenset(flagged)


def record_files(store: Store, blobs: BlobStore, audit_id: str) -> dict[str, bytes]:
    """The kept audit record of a closed audit: ``{"pdf": bytes, "xlsx": bytes}``."""
    audit = store.require(SelfAudit, audit_id)
    if not audit.closed_on:
        raise NotAllowed("稽核尚未結案，尚無抽查紀錄", "the audit is not closed yet")
    return {
        ext: blobs.read(store.require(Evidence, ev_id).sha256)
        for ext, ev_id in (("pdf", audit.record_pdf_id), ("xlsx", audit.record_xlsx_id))
    }
