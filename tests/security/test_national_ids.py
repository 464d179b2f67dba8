"""Issue 15, finding 2: national IDs never appear in full in messages, free text or outputs.

Each test performs the attack of the finding: an export whose first record is
read as its header, an ID typed into 查詢事由 and into a case reference (half-
and full-width), a "masked" ID whose only masked character is the checksum.
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from datetime import date

import openpyxl
import pytest
from pypdf import PdfReader

from tests.accounts.conftest import national_id
from tracker.core import clock
from tracker.core.errors import InvalidInput
from tracker.core.idnumbers import mask_id
from tracker.domain.vendors import Agency, Contract, Vendor
from tracker.ops.package import build_package
from tracker.querylog.reader import read_export
from tracker.services import audit_findings, audit_sampling, audits, log_imports
from tracker.services.incidents import report_incident
from tracker.services.vendors import add_staff
from tracker.storage.blobs import BlobStore
from tracker.storage.store import Store

AGENCY = "ag-sw"
SUBJECT = national_id("F", "22345678")  # the person asked about
IN_PURPOSE = national_id("A", "23456789")  # typed into 查詢事由
FULL_WIDTH = national_id("B", "13572468")  # typed in full-width letters and digits
IN_CASE = national_id("C", "24681357")  # typed into a reviewer's case reference
PLANTED = (SUBJECT, IN_PURPOSE, FULL_WIDTH, IN_CASE)


def full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) for ch in text)


def leaked(text: str) -> list[str]:
    """The planted IDs (either width) found in ``text``, also across the NULs of CID fonts."""
    squeezed = "".join(text.replace("\x00", "").split())
    return [i for i in PLANTED if i in squeezed or full_width(i) in squeezed]


def export(rows: list[list[str]], header=True) -> bytes:
    lines = ["查詢時間,使用者帳號,查詢項目,查詢對象證號,查詢事由"] if header else []
    return ("\n".join(lines + [",".join(r) for r in rows]) + "\n").encode()


ROWS = [
    ["2025-03-03 09:00:00", "tpsw0101", "國人入出國資訊", SUBJECT, f"陳情人{IN_PURPOSE}申請"],
    ["2025-03-03 09:05:00", "tpsw0101", "國人入出國資訊", SUBJECT, f"家屬{full_width(FULL_WIDTH)}"],
    ["2025-03-03 09:09:00", "tpsw0102", "國人入出國資訊", SUBJECT, "低收入戶資格審核"],
]


@pytest.fixture
def store(settings) -> Store:
    store = Store.open(settings)
    store.put(Agency(AGENCY, "臺北市政府社會局"), actor="seed", action="seed")
    return store


def test_an_export_refused_for_its_header_does_not_quote_the_id_of_its_first_record(
    store, settings, cli_env, tmp_path
):
    data = export(ROWS, header=False)  # the first record is read as the header
    with pytest.raises(InvalidInput) as refused:
        read_export(data)
    assert "缺少必要欄位" in refused.value.message_zh
    assert not leaked(str(refused.value)) and "F22****" in refused.value.message_zh
    path = tmp_path / "no-header.csv"
    path.write_bytes(data)
    for command in (
        ["logs", "import", str(path), "--agency", AGENCY],
        ["audit", "sample", str(path), "--seed", "1", "--json"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "tracker", *command], env=cli_env, capture_output=True, text=True
        )
        assert done.returncode != 0 and "缺少必要欄位" in done.stderr, done.stderr
        assert not leaked(done.stdout + done.stderr), command


def test_ids_typed_into_free_text_are_masked_in_every_output(store, settings):
    logs, blobs = log_imports.log_store(settings), BlobStore(settings.evidence_dir)
    log_imports.import_query_log(
        store, logs, blobs, "admin", agency_id=AGENCY, data=export(ROWS), filename="q.csv"
    )
    audit = audit_sampling.open_audit(
        store,
        logs,
        "admin",
        agency_id=AGENCY,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 6, 30),
        seed=1,
    )
    records = audit_sampling.sampled_records(store, audit.id)
    assert len(records) == 3
    assert not leaked(repr(records))
    assert {r.purpose for r in records} >= {f"陳情人{mask_id(IN_PURPOSE)}申請"}
    changes = [(r.id, "legitimate", "", f"案號 {IN_CASE}") for r in records]
    audit_findings.record_findings(store, "reviewer", changes)
    assert {r.case_ref for r in audit_sampling.sampled_records(store, audit.id)} == {
        f"案號 {mask_id(IN_CASE)}"
    }
    audit_findings.close_audit(store, blobs, "admin", audit.id)

    files = audits.record_files(store, blobs, audit.id)
    pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(files["pdf"])).pages)
    assert mask_id(IN_CASE) in "".join(pdf_text.replace("\x00", "").split())
    assert not leaked(pdf_text), "audit record PDF"
    book = openpyxl.load_workbook(io.BytesIO(files["xlsx"]))
    cells = " ".join(str(c) for s in book for row in s.iter_rows(values_only=True) for c in row)
    assert not leaked(cells), "audit record XLSX"
    log = (settings.data_dir / "activity-log.jsonl").read_text(encoding="utf-8")
    assert not leaked(log.encode().decode("unicode_escape")), "activity log"
    package = build_package(store, blobs, (date(2025, 1, 1), date.today()), agency_id=AGENCY)
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        for name in zf.namelist():
            data = zf.read(name)
            if name.endswith(".pdf"):
                text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
            elif name.endswith(".xlsx"):
                sheets = openpyxl.load_workbook(io.BytesIO(data))
                text = " ".join(
                    str(c) for s in sheets for r in s.iter_rows(values_only=True) for c in r
                )
            else:
                text = data.decode("utf-8", "replace")
            assert not leaked(text), name


def test_a_masked_looking_id_that_hides_only_its_checksum_is_refused(store):
    store.put(Vendor("v", "北辰資訊股份有限公司", "04595257"), actor="seed", action="seed")
    store.put(
        Contract("c", "v", AGENCY, "維運案", date(2025, 1, 1), date(2099, 12, 31)),
        actor="seed",
        action="seed",
    )
    for attempt in (IN_PURPOSE[:9] + "*", IN_PURPOSE[:4] + "*" + IN_PURPOSE[5:], "A1****789"):
        with pytest.raises(InvalidInput, match="4 個 \\*"):
            add_staff(
                store,
                "vendor.a",
                contract_id="c",
                name="王小明",
                national_id=attempt,
                start=date(2025, 1, 2),
            )
    person = add_staff(
        store,
        "vendor.a",
        contract_id="c",
        name="王小明",
        national_id=full_width(IN_PURPOSE),
        start=date(2025, 1, 2),
    )
    assert person.id_masked == mask_id(IN_PURPOSE)


def test_an_id_typed_into_any_form_field_is_kept_masked(store):
    store.put(Vendor("v", "北辰資訊股份有限公司", "04595257"), actor="seed", action="seed")
    store.put(
        Contract("c", "v", AGENCY, "維運案", date(2025, 1, 1), date(2099, 12, 31)),
        actor="seed",
        action="seed",
    )
    incident = report_incident(
        store,
        "vendor.a",
        vendor_id="v",
        summary=f"人員 {IN_PURPOSE} 之資料外洩",
        known_at=clock.now(),
        measures=f"通知 {full_width(FULL_WIDTH)}",
    )
    assert not leaked(incident.summary + incident.measures)
    assert mask_id(IN_PURPOSE) in incident.summary
