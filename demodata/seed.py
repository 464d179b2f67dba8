"""Realistic zh-TW demo data: agencies, vendors, contracts, staff, PCs, evidence, accounts.

Dates are relative to the day of seeding, so the spread of statuses (compliant,
missing, pending, rejected, due soon, expired, overdue) holds whenever it runs.
Every record goes through the same services as real input, evidence included:
each demo file is a generated PDF that is inspected and reviewed like an upload.
The generator is seeded, so two seeds on the same day give the same data.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time, timedelta

from tracker.core import clock
from tracker.core.config import Settings
from tracker.core.errors import InvalidInput
from tracker.core.idnumbers import is_valid_ubn
from tracker.documents.pdf import simple_document
from tracker.documents.pledge import new_form_number, render_pledge_form
from tracker.domain.accounts import NiaAccount
from tracker.domain.enums import SubjectKind
from tracker.domain.vendors import Agency, Contract, Vendor, VendorStaff
from tracker.services import evidence as ev_service
from tracker.services import vendors as v
from tracker.services.account_application import first_review, register_account, submit_account
from tracker.services.audit_findings import close_audit, record_case, record_findings
from tracker.services.audit_sampling import open_audit, sampled_records
from tracker.services.contacts import set_agency_addresses
from tracker.services.demo_accounts import DEMO_UNITS
from tracker.services.incidents import report_incident
from tracker.services.log_imports import import_query_log, log_store
from tracker.services.users import seed_demo_users
from tracker.storage.backend import open_blobs, open_store
from tracker.storage.blobs import BlobStore
from tracker.storage.store import Store

ACTOR = "demo"
SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周"
GIVEN = [
    "志明",
    "淑芬",
    "建宏",
    "雅婷",
    "俊傑",
    "怡君",
    "家豪",
    "佳蓉",
    "冠宇",
    "宜蓁",
    "承翰",
    "詩涵",
    "柏翰",
    "欣怡",
    "宗翰",
    "佩珊",
    "彥廷",
    "惠雯",
    "信宏",
    "筱涵",
    "育成",
    "靜宜",
    "國華",
    "美玲",
]

AGENCIES = (
    ("ag-sw", "臺北市政府社會局", None, "林佳蓉"),
    ("ag-dv", "臺北市家庭暴力暨性侵害防治中心", "ag-sw", "陳建宏"),
    ("ag-haoran", "臺北市立浩然敬老院", "ag-sw", ""),
)
VENDORS = (
    ("v-a", "北辰資訊股份有限公司", "02-2712-3456 王經理"),
    ("v-b", "立安系統整合有限公司", "02-2598-7788 李專案經理"),
    ("v-c", "青禾數位科技股份有限公司", "02-8791-2233 張協理"),
    ("v-d", "永信軟體工程有限公司", "02-2345-6677 周經理"),
)
# Reminder and notice addresses, all under the reserved example.org domain (RFC 2606).
VENDOR_EMAILS = {
    "v-a": ("service@beichen.example.org", "pm.wang@beichen.example.org"),
    "v-b": ("contact@lian-si.example.org",),
    "v-c": ("support@qinghe.example.org",),
    "v-d": ("pm@yongxin.example.org",),
}
AGENCY_MAIL_DOMAINS = {"ag-sw": "sw", "ag-dv": "dvsa", "ag-haoran": "haoran"}
AGENCY_ROLE_MAILBOXES = {
    "it_office": "it-office",
    "account_admin": "account-admin",
    "security_contact": "security",
    "ethics_contact": "ethics",
    "manager": "managers",
}
# id, vendor, agency, title, start offset, end offset, custom development, protection level, amount
CONTRACTS = (
    ("c-1", "v-a", "ag-sw", "社會福利資訊系統維運案", -300, 400, False, "high", 12_800_000),
    ("c-2", "v-a", "ag-sw", "身心障礙者補助系統客製開發案", -500, 200, True, "medium", 6_500_000),
    ("c-3", "v-b", "ag-dv", "保護個案管理系統開發案", -200, 500, True, "high", 9_200_000),
    ("c-4", "v-b", "ag-sw", "育兒津貼線上申辦系統維護案", -100, 265, False, "medium", 3_100_000),
    ("c-5", "v-c", "ag-haoran", "住民照顧管理系統維運案", -60, 300, True, "normal", 1_800_000),
    ("c-6", "v-d", "ag-sw", "敬老卡資料交換介接案", -800, -30, False, "medium", 2_400_000),
)
STAFF_PER_CONTRACT = {"c-1": 8, "c-2": 6, "c-3": 7, "c-4": 5, "c-5": 4, "c-6": 4}


class DemoSeeder:
    def __init__(
        self, store: Store, blobs: BlobStore, today: date, seed: int = 1231, settings=None
    ):
        self.store, self.blobs, self.today, self.settings = store, blobs, today, settings
        self.rng = random.Random(seed)
        self.names = self._name_pool()

    def day(self, offset: int) -> date:
        return self.today + timedelta(days=offset)

    def run(self) -> dict:
        self.agencies()
        self.vendors()
        # The demo logins' Argon2 hashes take 0.4 s of CPU each; they are made on the second core
        # while the documents are written (the store serialises the writes).
        with ThreadPoolExecutor(max_workers=1) as pool:
            logins = pool.submit(seed_demo_users, self.store)
            self.contracts()
            staff = self.staff()
            self.contract_evidence()
            self.staff_evidence(staff)
            self.departures(staff)
            self.pcs()
            self.incidents()
            self.accounts()
            logins.result()
        self.store.set_meta(demo=True, demo_seeded_on=self.today.isoformat())
        return {"staff": len(staff)}

    # --- records ---------------------------------------------------------------

    def agencies(self):
        for agency_id, name, parent, admin in AGENCIES:
            v.save_agency(
                self.store,
                ACTOR,
                name=name,
                agency_id=agency_id,
                parent_id=parent,
                account_admin=admin,
            )
            domain = f"{AGENCY_MAIL_DOMAINS[agency_id]}.example.org"
            set_agency_addresses(
                self.store,
                ACTOR,
                agency_id,
                **{role: f"{box}@{domain}" for role, box in AGENCY_ROLE_MAILBOXES.items()},
            )

    def vendors(self):
        for vendor_id, name, contact in VENDORS:
            self.store.put(
                Vendor(vendor_id, name, self._ubn(), contact, VENDOR_EMAILS[vendor_id]),
                actor=ACTOR,
                action="vendor_created",
            )

    def contracts(self):
        for cid, vid, aid, title, start, end, custom, level, amount in CONTRACTS:
            v.save_contract(
                self.store,
                ACTOR,
                vendor_id=vid,
                agency_id=aid,
                title=title,
                start=self.day(start),
                end=self.day(end),
                custom_development=custom,
                protection_level=level,
                amount=amount,
                contract_id=cid,
            )

    def staff(self) -> list[VendorStaff]:
        people = []
        for cid, count in STAFF_PER_CONTRACT.items():
            contract = self.store.get(Contract, cid)
            for n in range(count):
                start = contract.start + timedelta(days=self.rng.randint(0, 40))
                accounts = (f"{cid}-ops{n + 1:02d}",) if n % 2 == 0 else ()
                people.append(
                    v.add_staff(
                        self.store,
                        ACTOR,
                        contract_id=cid,
                        name=self.names.pop(),
                        national_id=self._national_id(),
                        start=min(start, self.today),
                        touches_sensitive_data=n != count - 1,
                        accounts=accounts,
                        staff_id=f"s-{cid[2:]}-{n + 1:02d}",
                    )
                )
        return people

    def contract_evidence(self):
        for cid, *_ in CONTRACTS:
            contract = self.store.get(Contract, cid)
            if cid != "c-5":
                self.document(
                    SubjectKind.CONTRACT,
                    cid,
                    "confidentiality_clause",
                    "保密與責任條款",
                    [f"委託案：{contract.title}", "廠商應遵守個人資料保護法及資通安全管理法。"],
                    effective=contract.start,
                    decision="approve",
                )
            plan = {
                "c-1": ("approve", -200),
                "c-2": ("approve", -340),
                "c-3": ("pending", -20),
                "c-5": ("approve", -30),
            }.get(cid)
            if plan:
                self.document(
                    SubjectKind.CONTRACT,
                    cid,
                    "security_measures",
                    "資安管理措施說明",
                    [
                        f"委託案：{contract.title}",
                        "說明專用電腦、存取控制、日誌保存與事件通報程序。",
                    ],
                    effective=self.day(plan[1]),
                    decision=plan[0],
                )
        self.document(
            SubjectKind.CONTRACT,
            "c-2",
            "security_test_certificate",
            "安全性檢測證明",
            [
                "系統名稱：身心障礙者補助系統",
                f"檢測日期：{self.day(-395).isoformat()}",
                "檢測項目：弱點掃描（防護需求等級中級）",
                "檢測結果：通過",
            ],
            effective=self.day(-395),
            decision="approve",
        )
        self.document(
            SubjectKind.CONTRACT,
            "c-3",
            "security_test_certificate",
            "安全性檢測證明",
            [
                "系統名稱：保護個案管理系統",
                f"檢測日期：{self.day(-5).isoformat()}",
                "檢測項目：弱點掃描、滲透測試",
                "檢測結果：通過",
            ],
            effective=self.day(-5),
            decision="pending",
        )

    def staff_evidence(self, staff: list[VendorStaff]):
        for index, person in enumerate(staff):
            if person.contract_id == "c-6":
                continue
            contract = self.store.get(Contract, person.contract_id)
            pledge = (
                "missing"
                if index % 11 == 3
                else "pending"
                if index % 9 == 4
                else "reject"
                if index % 13 == 6
                else "approve"
            )
            if pledge != "missing":
                self.pledge(person, contract, pledge)
            if person.touches_sensitive_data and index % 7 != 2:
                self.document(
                    SubjectKind.VENDOR_STAFF,
                    person.id,
                    "suitability_check",
                    "適任性查核紀錄",
                    [
                        f"受查核人：{person.name}",
                        f"所屬廠商：{self.store.get(Vendor, person.vendor_id).name}",
                        f"委託案：{contract.title}",
                        "查核結果：適任",
                    ],
                    effective=person.start,
                    decision="approve" if index % 5 else "pending",
                )

    def departures(self, staff: list[VendorStaff]):
        leavers = {"s-1-02": (-5, None), "s-1-05": (-20, -18), "s-3-03": (-40, -39)}
        for staff_id, (left, removed) in leavers.items():
            person = v.record_departure(self.store, ACTOR, staff_id, self.day(left))
            if removed is not None and person.accounts:
                self.removal(person, removed)
        for person in staff:
            if person.contract_id == "c-6" and person.accounts and person.id != "s-6-03":
                self.removal(person, -29)

    def removal(self, person: VendorStaff, offset: int):
        v.record_accounts_removed(self.store, ACTOR, person.id, self.day(offset))
        self.document(
            SubjectKind.VENDOR_STAFF,
            person.id,
            "account_removal_record",
            "帳號停用（刪除）紀錄",
            [
                f"人員：{person.name}",
                f"停用帳號：{'、'.join(person.accounts)}",
                f"停用日期：{self.day(offset).isoformat()}",
            ],
            effective=self.day(offset),
            decision="approve",
        )

    def pcs(self):
        for n, (cid, *_rest) in enumerate(CONTRACTS):
            if cid == "c-6":
                continue
            for k in range(1 if n % 2 else 2):
                pc = v.register_pc(
                    self.store,
                    ACTOR,
                    contract_id=cid,
                    asset_tag=f"SW-PC-{n + 1:02d}{k + 1}",
                    location=f"社會局資訊室 {n + 1} 號機櫃旁",
                    offline=not (cid == "c-4" and k == 0),
                    exclusive=True,
                    licensed_software_only=True,
                    last_inspected=self.day(-60),
                )
                if cid != "c-5":
                    self.document(
                        SubjectKind.DEDICATED_PC,
                        pc.id,
                        "dedicated_pc_checklist",
                        "專用電腦檢核表",
                        [
                            f"財產編號：{pc.asset_tag}",
                            "未連接網際網路：是",
                            "專案專用：是",
                            "軟體皆合法授權：是",
                        ],
                        effective=self.day(-60 - 300 * (cid == "c-2")),
                        decision="approve",
                    )

    def incidents(self):
        known = datetime.combine(self.day(-12), time(9, 30), clock.TAIPEI)
        inc = report_incident(
            self.store,
            ACTOR,
            vendor_id="v-a",
            contract_id="c-1",
            summary="維運主機偵測到異常登入嘗試",
            known_at=known,
            reported_at=known + timedelta(minutes=35),
            measures="封鎖來源 IP、重設管理者密碼",
        )
        self.document(
            SubjectKind.INCIDENT,
            inc.id,
            "incident_report",
            "資安事件通報單",
            ["事件：維運主機偵測到異常登入嘗試", "因應措施：封鎖來源 IP、重設管理者密碼"],
            effective=self.day(-12),
            decision="approve",
        )
        known = datetime.combine(self.day(-3), time(14, 0), clock.TAIPEI)
        report_incident(
            self.store,
            ACTOR,
            vendor_id="v-b",
            contract_id="c-3",
            summary="測試環境誤用真實個案資料",
            known_at=known,
            reported_at=known + timedelta(hours=5),
            measures="刪除測試資料並檢討流程",
        )

    def accounts(self):
        units = [
            "社會救助科",
            "身心障礙者福利科",
            "老人福利科",
            "兒童及少年福利科",
            "婦女及家庭服務科",
        ]
        bases = [
            "social_assistance_act",
            "disability_rights_act",
            "senior_welfare_act",
            "children_welfare_act",
            "special_family_act",
        ]
        records = []
        for n in range(10):
            agency = "ag-sw" if n < 7 else "ag-dv"
            left = self.day(-10) if n == 3 else None
            records.append(
                NiaAccount(
                    id=f"na-{n + 1:02d}",
                    agency_id=agency,
                    holder=self.names.pop(),
                    unit=units[n % 5],
                    state="active",
                    legal_basis=bases[n % 5] if n != 8 else "",
                    business="辦理社會救助及福利補助資格審核",
                    channels=("online_service",) + (("cloud_service",) if n % 3 == 0 else ()),
                    active_from=self.day(-400 + 20 * n),
                    holder_left_on=left,
                    removal_due=left + timedelta(days=3) if left else None,
                    first_reviewed_by="科長 王大明",
                    second_reviewed_by="林佳蓉",
                    ips=(f"10.20.{n // 4}.{10 + n}",) if n != 5 else (),
                    login=f"sw{n + 1:03d}",
                )
            )
        self.store.put_many(records, actor=ACTOR, action="nia_account_registered")
        for record in records[:6]:
            self.document(
                SubjectKind.NIA_ACCOUNT,
                record.id,
                "account_application",
                "公務機關應用入出境電子資料申請表",
                [f"申請人：{record.holder}", f"單位：{record.unit}", "法令依據：社會救助法"],
                effective=record.active_from,
                decision="approve",
            )
        self.applications()
        if self.today.month > 1:
            self.self_audit([r for r in records if r.agency_id == "ag-sw"])

    def applications(self):
        """Two applications in the two-level review of point 五: one awaiting the unit head's 初審
        (demo login ``unit.head``), one awaiting the account manager's 複審 (``account.admin``)."""
        for n, unit in enumerate((DEMO_UNITS["unit.head"],) * 2):  # the demo unit head's unit
            account = register_account(
                self.store,
                "account.admin",
                agency_id="ag-sw",
                holder=self.names.pop(),
                national_id=self._national_id(),
                unit=unit,
                legal_basis="social_assistance_act",
                business="辦理老人福利及社會救助資格審核",
                channels=["online_service"],
            )
            submit_account(self.store, "account.admin", account.id)
            if n == 1:
                first_review(
                    self.store, "unit.head", account.id, approve=True, reviewer="科長 王大明"
                )

    def self_audit(self, accounts: list[NiaAccount]):
        """7.2: this year's first self-audit of 社會局, run as the account manager would.

        A generated NIA query-log export is imported, the sample drawn with a
        recorded seed, every sampled record given a finding (one not legitimate,
        which opens a case whose corrective action is still due), and the audit
        closed, which stores the audit record (PDF and XLSX) as evidence.
        """
        start = date(self.today.year, 1, 1)
        end = min(date(self.today.year, 6, 30), self.today - timedelta(days=1))
        admin, logs = "林佳蓉", log_store(self.settings)
        data = self._query_log_csv(start, end, [a.login for a in accounts])
        import_query_log(
            self.store,
            logs,
            self.blobs,
            admin,
            agency_id="ag-sw",
            data=data,
            filename=f"移民署查詢紀錄-{self.today.year - 1911}上半年.csv",
        )
        audit = open_audit(
            self.store,
            logs,
            admin,
            agency_id="ag-sw",
            period_start=start,
            period_end=end,
            seed=20260101,
        )
        sampled = sampled_records(self.store, audit.id)
        findings = [
            (r.id, "legitimate", "", f"SW-{self.today.year - 1911}-{n:04d}")
            for n, r in enumerate(sampled)
        ]
        findings[0] = (sampled[0].id, "not_legitimate", "查詢對象非承辦個案，已請使用者說明", "")
        record_findings(self.store, admin, findings)
        record_case(
            self.store,
            admin,
            audit.id,
            notified_on=end,
            notified_units="政風室、資訊室",
            corrective_action="重新宣導查詢限於承辦個案，並檢視該帳號權限",
            corrective_due=self.today + timedelta(days=14),
            recommendation="建議申誡一次",
        )
        close_audit(
            self.store, self.blobs, admin, audit.id, closed_on=self.today - timedelta(days=1)
        )

    def _query_log_csv(self, start: date, end: date, logins: list[str]) -> bytes:
        """An NIA query-log export in ROC dates, UTF-8 with BOM, as the online service gives it."""
        kinds = [
            "國人入出國資訊",
            "外國人居停留資訊",
            "大陸地區人民申請來臺資訊",
            "居留證有效性與回應地址查詢",
        ]
        purposes = ["低收入戶資格審核", "身障補助複查", "老人福利資格審核", "兒少保護個案訪視", ""]
        days = (end - start).days + 1
        lines = ["查詢時間,使用者帳號,查詢項目,查詢對象證號,查詢事由,來源IP"]
        for n in range(2400):
            day = start + timedelta(days=self.rng.randrange(days))
            hour = self.rng.choice([9, 10, 11, 14, 15, 16] * 6 + [20, 22])
            stamp = f"{day.year - 1911}/{day.month:02d}/{day.day:02d} {hour:02d}:{self.rng.randrange(60):02d}:{n % 60:02d}"
            login = logins[self.rng.randrange(len(logins))]
            lines.append(
                ",".join(
                    [
                        stamp,
                        login,
                        self.rng.choice(kinds),
                        self._national_id(),
                        self.rng.choice(purposes),
                        f"10.20.0.{10 + logins.index(login)}",
                    ]
                )
            )
        return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")

    # --- documents ---------------------------------------------------------------

    def pledge(self, person: VendorStaff, contract, decision: str):
        vendor = self.store.get(Vendor, person.vendor_id)
        number = new_form_number(self.today)
        ev_service.issue_form(self.store, ACTOR, person.id, number)
        data = render_pledge_form(
            form_number=number,
            staff_name=person.name,
            vendor_name=vendor.name,
            contract_title=contract.title,
            issued_on=person.start,
        )
        self._upload(
            SubjectKind.VENDOR_STAFF,
            person.id,
            "staff_pledge",
            data,
            f"切結書-{person.name}.pdf",
            person.start,
            decision,
        )

    def document(
        self,
        kind: SubjectKind,
        subject_id: str,
        evidence_kind: str,
        title: str,
        lines: list[str],
        *,
        effective: date,
        decision: str,
    ):
        data = simple_document(title, lines, footer=f"文件日期 {effective.isoformat()}")
        self._upload(kind, subject_id, evidence_kind, data, f"{title}.pdf", effective, decision)

    def _upload(self, kind, subject_id, evidence_kind, data, filename, effective, decision):
        effective = min(effective, self.today)
        record = ev_service.upload_evidence(
            self.store,
            self.blobs,
            "vendor.demo",
            kind=evidence_kind,
            data=data,
            filename=filename,
            subject_kind=kind,
            subject_id=subject_id,
            effective=effective,
        )
        if decision in ("approve", "reject"):
            ev_service.review_evidence(
                self.store,
                "it.office",
                "it_office",
                record.id,
                approve=decision == "approve",
                reason="" if decision == "approve" else "簽名欄空白，請重新簽署後上傳",
            )

    # --- generated identities -------------------------------------------------------

    def _name_pool(self) -> list[str]:
        names = [s + g for s in SURNAMES for g in GIVEN]
        self.rng.shuffle(names)
        return names

    def _ubn(self) -> str:
        while True:
            candidate = f"{self.rng.randrange(10_000_000, 99_999_999):08d}"
            if is_valid_ubn(candidate):
                return candidate

    def _national_id(self) -> str:
        from tracker.core.idnumbers import is_valid_national_id

        while True:
            letter = self.rng.choice("ABCDEFGHJKLMNPQRSTUVXYWZIO")
            body = f"{self.rng.choice('12')}{self.rng.randrange(0, 10**7):07d}"
            for check in range(10):
                if is_valid_national_id(f"{letter}{body}{check}"):
                    return f"{letter}{body}{check}"


def is_empty(store: Store) -> bool:
    return not store.all(Vendor) and not store.all(Agency)


def seed(settings: Settings, *, today: date | None = None, if_empty: bool = False) -> dict:
    """Seed demo data into the data folder; refuses a folder that already holds data.

    With ``if_empty`` an already seeded folder is left alone (returns ``{"skipped": True}``).
    """
    store = open_store(settings)
    if not is_empty(store):
        if if_empty:
            return {"skipped": True}
        raise InvalidInput(
            "資料夾已有資料，示範資料只能寫入空的資料夾",
            f"{settings.data_dir} already holds data; demo data goes into an empty folder",
        )
    return DemoSeeder(store, open_blobs(settings), today or clock.today(), settings=settings).run()
