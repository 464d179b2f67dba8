"""Fixtures for the operations tests: a small world built by code, the demo data, the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from tracker.core import clock
from tracker.core.config import Settings
from tracker.domain.audits import SelfAudit
from tracker.domain.enums import ReviewState, SubjectKind
from tracker.domain.evidence import Evidence
from tracker.domain.vendors import Agency, Contract, Vendor, VendorStaff
from tracker.storage.blobs import BlobStore
from tracker.storage.store import Store

ROOT = Path(__file__).resolve().parents[2]


def run_cli(env: dict[str, str], *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """``python -m tracker ARGS`` in a subprocess, as an operator would run it."""
    return subprocess.run(
        [sys.executable, "-m", "tracker", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def env_for(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env["TRACKER_DATA_DIR"] = str(settings.data_dir)
    env["TRACKER_EVIDENCE_DIR"] = str(settings.evidence_dir)
    env["TRACKER_TRUST_DIR"] = str(settings.trust_dir)
    return env


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), clock.TAIPEI)


def pdf_bytes(text: str) -> bytes:
    """A small, real PDF (fpdf2) so that packaged files open in a viewer."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


@dataclass
class World:
    """A small data set written through the store, with dates chosen by the test."""

    settings: Settings
    store: Store
    blobs: BlobStore
    today: date

    def evidence(self, evidence_id: str, **fields) -> Evidence:
        data = fields.pop("data", None) or pdf_bytes(f"evidence {evidence_id}")
        sha = self.blobs.put(data)
        defaults = dict(
            obligation_id="8.6",
            subject_kind=SubjectKind.VENDOR_STAFF,
            subject_id="s-1",
            kind="staff_pledge",
            sha256=sha,
            filename=f"{evidence_id}.pdf",
            uploaded_by="vendor.a",
            uploaded_at=at(self.today - timedelta(days=30)),
            vendor_id="v-a",
            agency_id="ag-sw",
        )
        record = Evidence(id=evidence_id, **{**defaults, **fields})
        self.store.put(record, actor="test", action="evidence_uploaded")
        return record


def build_world(settings: Settings, today: date) -> World:
    """Agency, two vendors, a contract, staff and a few evidence records in every review state."""
    store = Store.open(settings)
    world = World(settings, store, BlobStore(settings.evidence_dir), today)
    store.put_many(
        [
            Agency("ag-sw", "臺北市政府社會局"),
            Agency("ag-dv", "臺北市家庭暴力暨性侵害防治中心", parent_id="ag-sw"),
            Vendor("v-a", "北辰資訊股份有限公司", "04595257"),
            Vendor("v-b", "立安系統整合有限公司", "04595257"),
            Contract(
                "c-1",
                "v-a",
                "ag-sw",
                "社會福利資訊系統維運案",
                today - timedelta(days=400),
                today + timedelta(days=300),
            ),
            Contract(
                "c-2",
                "v-b",
                "ag-dv",
                "保護個案管理系統開發案",
                today - timedelta(days=200),
                today + timedelta(days=500),
            ),
            VendorStaff("s-1", "v-a", "c-1", "王小明", "A1****789", today - timedelta(days=390)),
            VendorStaff("s-2", "v-b", "c-2", "陳美玲", "B2****456", today - timedelta(days=190)),
        ],
        actor="test",
        action="seeded",
    )
    reviewed = at(today - timedelta(days=20))
    world.evidence(
        "ev-approved",
        state=ReviewState.APPROVED,
        reviewed_by="it.office",
        reviewed_at=reviewed,
        valid_until=today + timedelta(days=300),
        effective=today - timedelta(days=31),
        filename="切結書 王小明 (final).pdf",
    )
    world.evidence(
        "ev-rejected",
        state=ReviewState.REJECTED,
        reviewed_by="it.office",
        reviewed_at=reviewed,
        review_reason="=簽名欄空白，請重新簽署",
        filename="../../etc/passwd",
    )
    world.evidence(
        "ev-pending",
        subject_id="s-2",
        vendor_id="v-b",
        agency_id="ag-dv",
        uploaded_at=at(today - timedelta(days=2)),
    )
    store.put(
        SelfAudit(
            "au-1",
            "ag-sw",
            today - timedelta(days=180),
            today - timedelta(days=10),
            closed_on=today - timedelta(days=5),
        ),
        actor="test",
        action="audit_closed",
    )
    world.evidence(
        "ev-audit-pdf",
        obligation_id="7.2",
        subject_kind=SubjectKind.AUDIT,
        subject_id="au-1",
        kind="audit_record",
        vendor_id=None,
        agency_id="ag-sw",
        filename="抽查紀錄.pdf",
        uploaded_at=at(today - timedelta(days=5)),
    )
    world.evidence(
        "ev-audit-xlsx",
        obligation_id="7.2",
        subject_kind=SubjectKind.AUDIT,
        subject_id="au-1",
        kind="audit_record",
        vendor_id=None,
        agency_id="ag-sw",
        filename="抽查紀錄.xlsx",
        data=b"PK\x03\x04 not really a workbook",
        uploaded_at=at(today - timedelta(days=5)),
    )
    return world


@pytest.fixture
def world(settings: Settings) -> World:
    return build_world(settings, clock.today())


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    return env_for(settings)


@pytest.fixture(scope="session")
def demo_master(demo_root: Path) -> Path:
    """The session's demo data, seeded once through the CLI (tests/conftest.py); tests copy it."""
    return demo_root


@pytest.fixture
def demo(demo_master: Path, tmp_path: Path) -> Settings:
    """A private copy of the demo data (data and evidence folders)."""
    target = tmp_path / "demo"
    shutil.copytree(demo_master, target, ignore=shutil.ignore_patterns(".lock"))
    return Settings.for_folder(target)
