"""The evidence history of the synthetic world.

Each (subject, evidence kind) that an obligation asks for is a *slot*; a tenth
of the slots have no evidence, the rest have one or more revisions in upload
order, with the obligation the catalogue gives for that subject and kind.
Earlier revisions were superseded or rejected; the latest is approved,
submitted or rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from bench import names
from tracker.core.clock import add_months
from tracker.domain.enums import ReviewState, SubjectKind
from tracker.domain.evidence import Evidence
from tracker.domain.vendors import Contract, VendorStaff

if TYPE_CHECKING:
    from bench.world import World

LATEST_STATES = (
    (ReviewState.APPROVED, 65),
    (ReviewState.SUBMITTED, 20),
    (ReviewState.REJECTED, 15),
)
EARLIER_STATES = ((ReviewState.SUPERSEDED, 70), (ReviewState.REJECTED, 30))
MISSING_SHARE = 0.1


@dataclass(frozen=True)
class Slot:
    """One (subject, evidence kind) an obligation asks for."""

    subject_kind: SubjectKind
    subject: object
    kind: str
    vendor_id: str | None
    agency_id: str | None
    contract: Contract | None
    start: date


class History:
    """Builds the evidence records of a world (using the world's random generator)."""

    def __init__(self, world: World):
        self.world, self.rng, self.today = world, world.rng, world.today
        self.catalogue = world.catalogue

    def evidence(self) -> list[Evidence]:
        slots = self._slots()
        counts = self._revision_counts(len(slots))
        return [e for slot, n in zip(slots, counts, strict=True) for e in self._revisions(slot, n)]

    def _revision_counts(self, slots: int) -> list[int]:
        """How many revisions each slot has: a tenth none, the rest one plus a share of what is left."""
        counts = [0 if self.world.chance(MISSING_SHARE) else 1 for _ in range(slots)]
        live = [i for i, n in enumerate(counts) if n]
        for _ in range(max(0, self.world.size.evidence - len(live))):
            counts[self.rng.choice(live)] += 1
        return counts

    def _slots(self) -> list[Slot]:
        contracts = {c.id: c for c in self.world.contracts}
        slots = [s for c in self.world.contracts for s in self._contract_slots(c)]
        for s in self.world.staff:
            slots += self._staff_slots(s, contracts[s.contract_id])
        for pc in self.world.pcs:
            c = contracts[pc.contract_id]
            slots.append(
                Slot(
                    SubjectKind.DEDICATED_PC,
                    pc,
                    "dedicated_pc_checklist",
                    pc.vendor_id,
                    c.agency_id,
                    c,
                    c.start,
                )
            )
        for inc in self.world.incidents:
            c = contracts[inc.contract_id]
            slots.append(
                Slot(
                    SubjectKind.INCIDENT,
                    inc,
                    "incident_report",
                    inc.vendor_id,
                    c.agency_id,
                    c,
                    inc.known_at.date(),
                )
            )
        return slots + self._agency_slots()

    def _contract_slots(self, c: Contract) -> list[Slot]:
        kinds = ["confidentiality_clause"]
        kinds += ["security_measures"] * c.handles_personal_data
        kinds += ["security_test_certificate"] * (c.handles_personal_data and c.custom_development)
        return [
            Slot(SubjectKind.CONTRACT, c, k, c.vendor_id, c.agency_id, c, c.start) for k in kinds
        ]

    def _staff_slots(self, s: VendorStaff, c: Contract) -> list[Slot]:
        kinds = ["staff_pledge"] + ["suitability_check"] * s.touches_sensitive_data
        kinds += ["account_removal_record"] * bool(s.end and s.accounts)
        return [
            Slot(SubjectKind.VENDOR_STAFF, s, k, s.vendor_id, c.agency_id, c, s.start)
            for k in kinds
        ]

    def _agency_slots(self) -> list[Slot]:
        slots = [
            Slot(
                SubjectKind.AGENCY,
                a,
                "audit_record",
                None,
                a.id,
                None,
                self.today - timedelta(days=1000),
            )
            for a in self.world.agencies
        ]
        for acc in self.world.accounts:
            if acc.active_from is None:
                continue
            kinds = ["account_application"] + ["proxy_query_form"] * bool(acc.proxy_for)
            slots += [
                Slot(SubjectKind.NIA_ACCOUNT, acc, k, None, acc.agency_id, None, acc.active_from)
                for k in kinds
            ]
        return slots

    def _revisions(self, slot: Slot, n: int) -> list[Evidence]:
        low = min(slot.start, self.today) - timedelta(days=30) - self.today
        days = sorted(self.world.day(low.days, -1) for _ in range(n))
        records: list[Evidence] = []
        for i, day in enumerate(days):
            state = self.world.pick(LATEST_STATES if i == n - 1 else EARLIER_STATES)
            records.append(self._evidence(slot, day, state, records[-1].id if records else None))
        return records

    def _evidence(
        self, slot: Slot, day: date, state: ReviewState, supersedes: str | None
    ) -> Evidence:
        sha, uploaded = self.world.hex(256), self.world.instant(day)
        reviewed = state != ReviewState.SUBMITTED
        effective = day - timedelta(days=self.rng.randint(0, 20))
        return Evidence(
            id=f"ev-{self.world.hex()}",
            obligation_id=self._obligation(slot),
            subject_kind=slot.subject_kind,
            subject_id=slot.subject.id,
            kind=slot.kind,
            sha256=sha,
            filename=f"{slot.kind}-{day:%Y%m%d}.pdf",
            uploaded_by=f"vendor.{slot.vendor_id}" if slot.vendor_id else "account.admin",
            uploaded_at=uploaded,
            vendor_id=slot.vendor_id,
            agency_id=slot.agency_id,
            effective=effective,
            state=state,
            valid_until=self._valid_until(slot, effective)
            if state == ReviewState.APPROVED
            else None,
            reviewed_by="it.office" if reviewed else None,
            reviewed_at=uploaded + timedelta(days=2) if reviewed else None,
            review_reason="簽名欄空白，請補簽後重新上傳" if state == ReviewState.REJECTED else "",
            supersedes=supersedes,
            inspection=self._inspection(slot.kind, sha),
        )

    def _obligation(self, slot: Slot) -> str:
        for obligation in self.catalogue.for_subject(slot.subject_kind):
            if slot.kind in obligation.evidence:
                return obligation.id
        raise ValueError(f"no obligation takes {slot.kind} for {slot.subject_kind}")

    def _valid_until(self, slot: Slot, effective: date) -> date | None:
        kind = self.catalogue.evidence_kinds[slot.kind]
        if kind.valid_until_contract_end:
            return slot.contract.end if slot.contract else None
        return add_months(effective, kind.validity_months) if kind.validity_months else None

    def _inspection(self, kind: str, sha: str) -> dict:
        """What ``inspect_pdf(...).to_dict()`` stores: a text PDF mostly, a scan sometimes."""
        scan = self.world.chance(0.15)
        reasons = (
            [
                {
                    "code": "no_text_layer",
                    "zh": "沒有文字層（可能是掃描檔），需人工判讀",
                    "en": "no text layer (a scan?): a person must read it",
                }
            ]
            if scan
            else []
        )
        return {
            "verdict": "needs_review" if scan else "accepted",
            "reasons": reasons,
            "sha256": sha,
            "bytes": self.rng.randint(30_000, 900_000),
            "pages": self.rng.randint(1, 4),
            "encrypted": False,
            "text_layer": not scan,
            "keywords_found": [],
            "keywords_missing": [],
            "risky_features": [],
            "signature_fields": 0,
            "signed": False,
            "signature_intact": None,
            "signature_trusted": None,
            "signer": None,
            "form_numbers": [],
            "dates_found": [] if scan else ["114/03/02"],
            "garbled_text": False,
            "text_excerpt": "" if scan else names.excerpt(self.rng),
            "kind": kind,
        }
