"""Security test certificates checked for the tests the contract's protection level requires
(普/中: 弱點掃描; 高: 弱點掃描, 滲透測試, 源碼掃描), from the catalogue, the CLI and uploads."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.evidence import corpus
from tests.evidence.test_cli import run_cli
from tracker.compliance.loader import default_catalogue, load_catalogue
from tracker.core import clock
from tracker.core.errors import CatalogueError, InvalidInput
from tracker.domain.enums import ProtectionLevel, SubjectKind
from tracker.domain.vendors import Agency, Vendor
from tracker.inspection.inspector import expectations
from tracker.services import evidence as ev
from tracker.services import vendors as v
from tracker.storage.blobs import BlobStore
from tracker.storage.store import Store

KIND = "security_test_certificate"
ALL_THREE = ("弱點掃描", "滲透測試", "源碼掃描")


def codes(report) -> list[str]:
    return [r.code for r in report.reasons]


# --- the catalogue --------------------------------------------------------------------------


def test_the_catalogue_holds_the_tests_of_each_protection_level_with_its_reading():
    kind = default_catalogue().evidence_kinds[KIND]
    assert kind.texts_for(ProtectionLevel.NORMAL) == ("弱點掃描",)
    assert kind.texts_for(ProtectionLevel.MEDIUM) == ("弱點掃描",)
    assert kind.texts_for(ProtectionLevel.HIGH) == ALL_THREE
    assert kind.texts_for(None) == () and kind.date
    assert "資通系統防護基準" in kind.reading and "滲透測試" in kind.reading


def test_other_kinds_require_nothing_more_at_any_level():
    for kind in default_catalogue().evidence_kinds.values():
        if kind.id != KIND:
            assert all(kind.texts_for(level) == () for level in ProtectionLevel)


@pytest.mark.parametrize("level", ["high", ProtectionLevel.HIGH])
def test_expectations_add_the_level_tests_after_the_kind_texts(level):
    wanted = expectations(KIND, ["社會福利資訊系統"], level=level)
    assert (wanted.texts, wanted.level_tests, wanted.date) == (("社會福利資訊系統",), ALL_THREE, True)


def test_an_unknown_level_is_refused_naming_the_levels():
    with pytest.raises(InvalidInput, match="普、中、高"):
        expectations(KIND, level="top")


@pytest.mark.parametrize(
    "entry, words",
    [
        ("level_texts: {urgent: [弱點掃描]}", "urgent"),
        ("level_texts: {high: [' ']}", "level_texts"),
        ("texts: 保密", "texts"),
        ("wordings: {滲透測試: [滲透檢測]}", "wordings"),
    ],
)
def test_a_catalogue_with_a_bad_required_text_is_refused_naming_it(tmp_path, entry, words):
    (tmp_path / "c.yaml").write_text(
        "evidence_kinds:\n"
        f"  - {{id: report, zh: 報告, {entry}}}\n"
        "obligations:\n"
        "  - {id: '1', text_zh: 條文, title_en: One, role: vendor, subject: vendor,"
        " evidence: [report]}\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError, match=words):
        load_catalogue(tmp_path)


# --- inspection ----------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["normal", "medium"])
def test_a_vulnerability_scan_is_enough_at_normal_and_medium(inspect, level):
    report = inspect(corpus.security_certificate("弱點掃描"), kind=KIND, level=level)
    assert report.verdict == "accepted", report.reasons
    assert report.keywords_found == ("弱點掃描",) and report.protection_level == level


def test_at_high_a_certificate_with_only_a_vulnerability_scan_names_the_missing_tests(inspect):
    report = inspect(corpus.security_certificate("弱點掃描"), kind=KIND, level="high")
    assert report.verdict == "needs_review" and codes(report) == ["required_test_missing"]
    assert report.keywords_missing == ("滲透測試", "源碼掃描")
    assert "滲透測試、源碼掃描" in report.reasons[0].zh and "「高」" in report.reasons[0].zh
    assert "high" in report.reasons[0].en


def test_at_high_all_three_tests_are_accepted(inspect):
    report = inspect(corpus.security_certificate(*ALL_THREE), kind=KIND, level="high")
    assert report.verdict == "accepted", report.reasons
    assert report.keywords_found == ALL_THREE


@pytest.mark.parametrize("level", ["normal", "medium", "high"])
def test_a_certificate_naming_no_test_names_the_vulnerability_scan_at_every_level(inspect, level):
    report = inspect(corpus.security_certificate(), kind=KIND, level=level)
    assert report.verdict == "needs_review" and "弱點掃描" in report.keywords_missing


def test_other_wordings_of_the_tests_count_and_the_catalogue_name_is_reported(inspect):
    data = corpus.security_certificate("弱點檢測", "滲透檢測", "原始碼掃描")
    report = inspect(data, kind=KIND, level="high")
    assert report.verdict == "accepted", report.reasons
    assert report.keywords_found == ALL_THREE


def test_a_test_split_by_the_layout_or_written_full_width_is_still_found(inspect):
    data = corpus.security_certificate("弱點　掃描", "滲 透 測 試", "源碼掃描")
    assert inspect(data, kind=KIND, level="high").verdict == "accepted"


def test_the_date_is_still_required_and_reported_beside_the_missing_tests(inspect):
    data = corpus.security_certificate("弱點掃描", test_date="尚未排定")
    report = inspect(data, kind=KIND, level="high")
    assert codes(report) == ["required_test_missing", "date_missing"]


def test_without_a_level_only_the_date_is_required(inspect):
    report = inspect(corpus.security_certificate(), kind=KIND)
    assert report.verdict == "accepted" and report.protection_level is None
    assert report.keywords_missing == ()


def test_the_level_asks_nothing_more_of_a_pledge(inspect):
    report = inspect(corpus.pledge(), kind="staff_pledge", level="high")
    assert report.verdict == "accepted" and report.keywords_found == ("保密切結書",)


def test_an_expected_text_and_a_level_test_are_reported_by_their_own_reasons(inspect):
    report = inspect(corpus.security_certificate(), kind=KIND, level="normal", expect=["甲系統"])
    assert codes(report) == ["expected_text_missing", "required_test_missing"]
    assert report.keywords_missing == ("甲系統", "弱點掃描")


# --- the command line ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    folder = tmp_path_factory.mktemp("certs")
    (folder / "scan.pdf").write_bytes(corpus.security_certificate("弱點掃描"))
    (folder / "all.pdf").write_bytes(corpus.security_certificate(*ALL_THREE))
    return folder


@pytest.mark.parametrize(
    "level, verdict",
    [
        ("高", "needs_review"),
        ("high", "needs_review"),
        ("HIGH", "needs_review"),
        ("高級", "needs_review"),
        ("中", "accepted"),
        ("medium", "accepted"),
        ("普", "accepted"),
        ("normal", "accepted"),
    ],
)
def test_the_cli_level_accepts_zh_and_stored_values(cli_env_with_trust, certificates, level, verdict):
    run = run_cli(
        "evidence", "check", str(certificates / "scan.pdf"), "--kind", KIND, "--level", level,
        "--json", env=cli_env_with_trust,
    )  # fmt: skip
    report = json.loads(run.stdout)
    assert (report["verdict"], run.code) == (verdict, 0)
    if verdict == "needs_review":
        assert report["keywords_missing"] == ["滲透測試", "源碼掃描"]
        assert report["protection_level"] == "high"


def test_the_cli_accepts_a_certificate_with_all_three_tests_at_high(cli_env_with_trust, certificates):
    run = run_cli(
        "evidence", "check", str(certificates / "all.pdf"), "--kind", KIND, "--level", "高",
        "--json", env=cli_env_with_trust,
    )  # fmt: skip
    assert (json.loads(run.stdout)["verdict"], run.code) == ("accepted", 0)


def test_an_unknown_cli_level_is_one_line_on_stderr_and_exit_2(cli_env_with_trust, certificates):
    run = run_cli(
        "evidence", "check", str(certificates / "scan.pdf"), "--level", "最高", "--json",
        env=cli_env_with_trust,
    )  # fmt: skip
    assert (run.code, run.stdout) == (2, "")
    assert len(run.stderr.strip().splitlines()) == 1 and "普" in run.stderr


# --- uploads apply the contract's level -----------------------------------------------------------


@pytest.fixture
def contracts(settings):
    store = Store.open(settings)
    store.put(Agency("ag", "臺北市政府社會局"), actor="t", action="seed")
    store.put(Vendor("v-a", "北辰資訊股份有限公司", "04595257"), actor="t", action="seed")
    today = clock.today()
    for level in ProtectionLevel:
        v.save_contract(
            store, "t", vendor_id="v-a", agency_id="ag", title=f"系統{level.value}",
            start=today - timedelta(days=30), end=today + timedelta(days=300),
            custom_development=True, protection_level=level, contract_id=f"c-{level.value}",
        )  # fmt: skip
    return store, BlobStore(settings.evidence_dir)


def certificate_for(contract_id: str, *tests: str) -> bytes:
    """A certificate naming the contract's system (an upload expects the contract's title)."""
    return corpus.security_certificate(*tests, system=f"系統{contract_id.removeprefix('c-')}")


def upload_certificate(contracts, contract_id: str, data: bytes):
    store, blobs = contracts
    return ev.upload_evidence(
        store, blobs, "vendor.a", kind=KIND, data=data, filename="檢測證明.pdf",
        subject_kind=SubjectKind.CONTRACT, subject_id=contract_id,
    )  # fmt: skip


def test_an_upload_for_a_high_contract_requires_all_three_tests(contracts):
    record = upload_certificate(contracts, "c-high", certificate_for("c-high", "弱點掃描"))
    assert record.inspection["verdict"] == "needs_review"
    assert record.inspection["keywords_missing"] == ["滲透測試", "源碼掃描"]
    assert record.inspection["protection_level"] == "high"


def test_an_upload_for_a_normal_contract_needs_only_the_vulnerability_scan(contracts):
    record = upload_certificate(contracts, "c-normal", certificate_for("c-normal", "弱點掃描"))
    assert record.inspection["verdict"] == "accepted"
    assert record.inspection["protection_level"] == "normal"


def test_the_level_is_the_contracts_own_not_another_contracts(contracts):
    complete = certificate_for("c-medium", *ALL_THREE)
    assert upload_certificate(contracts, "c-medium", complete).inspection["verdict"] == "accepted"
    partial = certificate_for("c-high", "弱點掃描", "滲透測試")
    record = upload_certificate(contracts, "c-high", partial)
    assert record.inspection["keywords_missing"] == ["源碼掃描"]
