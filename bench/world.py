"""The synthetic world of the benchmarks, built in memory: a pure function of (size, anchor date, seed).

Every reference holds: staff work on their vendor's contracts, PCs belong to a
contract, accounts and audits to an agency; evidence (:mod:`bench.history`)
names a subject that exists.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bench import names
from bench.history import History
from tracker.compliance.loader import default_catalogue
from tracker.core.clock import TAIPEI
from tracker.core.idnumbers import is_valid_ubn, mask_id
from tracker.domain.accounts import NiaAccount
from tracker.domain.audits import SelfAudit
from tracker.domain.enums import ProtectionLevel
from tracker.domain.vendors import Agency, Contract, DedicatedPC, Incident, Vendor, VendorStaff

ACCOUNT_STATES = (
    ("active", 80),
    ("cancelled", 8),
    ("draft", 4),
    ("first_review", 4),
    ("second_review", 2),
    ("nia_review", 2),
)


@dataclass(frozen=True)
class Size:
    """How many vendors, vendor staff, evidence records, agencies and NIA accounts."""

    name: str
    vendors: int
    staff: int
    evidence: int
    agencies: int
    accounts: int


SIZES = {
    s.name: s
    for s in (
        Size("XS", 1, 10, 100, 2, 5),
        Size("S", 10, 100, 1_000, 4, 50),
        Size("M", 100, 1_000, 10_000, 12, 500),
        Size("L", 1_000, 10_000, 100_000, 24, 5_000),
    )
}
SMALLER = {"S": "XS", "M": "S", "L": "M"}  # the other side of each size's scaling ratio


class World:
    """Every record of one size, built on construction."""

    def __init__(self, size: Size, today: date, seed: int):
        self.size, self.today = size, today
        self.rng = random.Random(f"{seed}-{size.name}")
        self.catalogue = default_catalogue()
        self.agencies = [self._agency(i) for i in range(size.agencies)]
        self.vendors = [self._vendor(i) for i in range(size.vendors)]
        self.contracts = [c for v in self.vendors for c in self._contracts(v)]
        self.staff = self._all_staff()
        self.pcs = [pc for c in self.contracts if c.handles_personal_data for pc in self._pcs(c)]
        self.incidents = [self._incident(i) for i in range(max(1, size.vendors // 2))]
        self.accounts = [self._account(i) for i in range(size.accounts)]
        self.audits = [a for agency in self.agencies for a in self._audits(agency)]
        self.evidence = History(self).evidence()

    def collections(self) -> list[tuple[str, list]]:
        """(collection name, records) in the order they are written (referenced first)."""
        return [
            ("agencies", self.agencies),
            ("vendors", self.vendors),
            ("contracts", self.contracts),
            ("staff", self.staff),
            ("pcs", self.pcs),
            ("incidents", self.incidents),
            ("accounts", self.accounts),
            ("audits", self.audits),
            ("evidence", self.evidence),
        ]

    def evidence_states(self) -> dict[str, int]:
        return dict(Counter(e.state.value for e in self.evidence))

    # --- helpers ---------------------------------------------------------------

    def day(self, low: int, high: int) -> date:
        """A day between ``low`` and ``high`` days from the anchor date."""
        return self.today + timedelta(days=self.rng.randint(low, high))

    def instant(self, day: date) -> datetime:
        return datetime.combine(day, time(self.rng.randint(8, 17), self.rng.randint(0, 59)), TAIPEI)

    def hex(self, bits: int = 48) -> str:
        return f"{self.rng.getrandbits(bits):0{bits // 4}x}"

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, weighted):
        """One value of ``((value, weight), ...)``."""
        values, weights = zip(*weighted, strict=True)
        return self.rng.choices(values, weights)[0]

    # --- the organisation ------------------------------------------------------

    def _agency(self, i: int) -> Agency:
        name = names.agency(i)
        admin = names.person(self.rng) if self.chance(0.9) else ""
        return Agency(f"ag-{i:02d}", name, None if i == 0 else "ag-00", admin)

    def _vendor(self, i: int) -> Vendor:
        ubn = str(self.rng.randint(10_000_000, 99_999_999))
        while not is_valid_ubn(ubn):
            ubn = str(self.rng.randint(10_000_000, 99_999_999))
        contact = f"02-{self.rng.randint(2000, 8999)}-{self.rng.randint(1000, 9999)} {names.person(self.rng)}"
        return Vendor(f"v-{i:04d}", names.vendor(self.rng, i), ubn, contact)

    def _contracts(self, vendor: Vendor) -> list[Contract]:
        return [self._contract(vendor, j) for j in range(self.rng.choice((1, 2, 2, 3)))]

    def _contract(self, vendor: Vendor, j: int) -> Contract:
        start = self.day(-1000, 60)
        return Contract(
            id=f"c-{vendor.id[2:]}-{j}",
            vendor_id=vendor.id,
            agency_id=self.rng.choice(self.agencies).id,
            title=names.contract(self.rng),
            start=start,
            end=start + timedelta(days=self.rng.randint(365, 1100)),
            handles_personal_data=self.chance(0.85),
            custom_development=self.chance(0.4),
            protection_level=self.rng.choice(list(ProtectionLevel)),
            amount=self.rng.randint(5, 300) * 100_000,
        )

    def _all_staff(self) -> list[VendorStaff]:
        by_vendor: dict[str, list[Contract]] = {}
        for c in self.contracts:
            by_vendor.setdefault(c.vendor_id, []).append(c)
        vendors = list(by_vendor)
        return [
            self._staff(self.rng.choice(by_vendor[vendors[i % len(vendors)]]))
            for i in range(self.size.staff)
        ]

    def _staff(self, contract: Contract) -> VendorStaff:
        start = contract.start + timedelta(days=self.rng.randint(0, 90))
        end = start + timedelta(days=self.rng.randint(30, 600)) if self.chance(0.12) else None
        accounts = (f"ad-{self.hex(24)}",) if self.chance(0.5) else ()
        removed = (
            end + timedelta(days=self.rng.randint(0, 5))
            if end and accounts and self.chance(0.7)
            else None
        )
        return VendorStaff(
            id=f"st-{self.hex()}",
            vendor_id=contract.vendor_id,
            contract_id=contract.id,
            name=names.person(self.rng),
            id_masked=mask_id(names.national_id(self.rng)),
            start=start,
            end=end,
            touches_sensitive_data=self.chance(0.8),
            accounts=accounts,
            accounts_removed_on=removed,
        )

    def _pcs(self, contract: Contract) -> list[DedicatedPC]:
        return [
            DedicatedPC(
                id=f"pc-{contract.id[2:]}-{j}",
                vendor_id=contract.vendor_id,
                contract_id=contract.id,
                asset_tag=f"TPE-{self.rng.randint(0, 999_999):06d}",
                location=names.location(self.rng),
                offline=self.chance(0.9),
                exclusive=self.chance(0.9),
                licensed_software_only=self.chance(0.9),
                last_inspected=self.day(-400, 0) if self.chance(0.8) else None,
            )
            for j in range(self.rng.choice((1, 1, 2)))
        ]

    def _incident(self, i: int) -> Incident:
        contract = self.rng.choice(self.contracts)
        known = self.instant(self.day(-700, -1))
        late = self.chance(0.1)
        reported = known + timedelta(
            minutes=self.rng.randint(61, 600) if late else self.rng.randint(5, 55)
        )
        return Incident(
            id=f"in-{i:05d}",
            vendor_id=contract.vendor_id,
            contract_id=contract.id,
            summary=names.incident(self.rng),
            known_at=known,
            reported_at=reported,
            measures="隔離受影響主機並重設密碼",
            closed=self.chance(0.8),
        )

    def _account(self, i: int) -> NiaAccount:
        state = self.pick(ACCOUNT_STATES)
        active_from = self.day(-1500, -30) if state in ("active", "cancelled") else None
        left = (
            self.day(-60, -1)
            if state == "cancelled" or (state == "active" and self.chance(0.05))
            else None
        )
        return NiaAccount(
            id=f"na-{self.hex()}",
            agency_id=self.rng.choice(self.agencies).id,
            holder=names.person(self.rng),
            unit=names.unit(self.rng),
            state=state,
            legal_basis=self.rng.choice(self._legal_bases()),
            business="個案訪視及資格審查",
            channels=self._channels(),
            active_from=active_from,
            holder_left_on=left,
            removal_due=left + timedelta(days=3) if left else None,
            removed_on=left + timedelta(days=self.rng.randint(0, 5))
            if left and state == "cancelled"
            else None,
            first_reviewed_by=names.person(self.rng) if self.chance(0.97) else "",
            second_reviewed_by=names.person(self.rng) if self.chance(0.95) else "",
            ips=(f"10.20.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}",)
            if self.chance(0.95)
            else (),
            proxy_for=(names.person(self.rng),) if self.chance(0.1) else (),
            login=f"u{i:05d}",
            holder_id_masked=mask_id(names.national_id(self.rng)),
            applied_by="account.admin",
        )

    def _legal_bases(self) -> list[str]:
        return sorted(self.catalogue.legal_basis_ids())

    def _channels(self) -> tuple[str, ...]:
        return self.pick(
            (
                (("online_service",), 70),
                (("cloud_service",), 15),
                (("online_service", "cloud_service"), 15),
            ),
        )

    def _audits(self, agency: Agency) -> list[SelfAudit]:
        audits = []
        for year in range(self.today.year - 2, self.today.year + 1):
            for first, last in (
                (date(year, 1, 1), date(year, 6, 30)),
                (date(year, 7, 1), date(year, 12, 31)),
            ):
                if first <= self.today:
                    audits.append(self._audit(agency, first, last))
        return audits

    def _audit(self, agency: Agency, first: date, last: date) -> SelfAudit:
        closed = last + timedelta(days=self.rng.randint(5, 40))
        closed = closed if closed <= self.today else None
        violations = self.rng.randint(1, 3) if closed and self.chance(0.1) else 0
        population = self.rng.randint(2_000, 200_000)
        return SelfAudit(
            id=f"au-{agency.id[3:]}-{first:%Y%m}",
            agency_id=agency.id,
            period_start=first,
            period_end=last,
            population=population,
            sample_size=max(population // 1000, 20),
            seed=self.rng.getrandbits(32),
            opened_by="account.admin",
            opened_at=self.instant(last + timedelta(days=1)),
            closed_on=closed,
            violations=violations,
            notified_on=closed + timedelta(days=3) if violations and self.chance(0.8) else None,
            corrective_due=closed + timedelta(days=60) if violations else None,
            recommendation="依規定議處" if violations and self.chance(0.6) else "",
            sample_ratio="1/1000",
            sample_floor=20,
            closed_by="account.admin" if closed else "",
        )
