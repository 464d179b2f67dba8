"""The catalogue covers the regulation and its loader refuses malformed files."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tracker.compliance.loader import load_catalogue
from tracker.core.config import CHECKLISTS_DIR
from tracker.core.errors import CatalogueError
from tracker.domain.enums import Role, SubjectKind

# The regulation's published text (民國 109 年 12 月 31 日 version), kept beside the test
REGULATION = Path(__file__).with_name("regulation.zh-TW.txt")
EXPECTED_IDS = (
    ["1", "2", "3", "4.1", "4.2", "4.3"]
    + [f"5.{n}" for n in range(1, 8)]
    + [f"6.{n}" for n in range(1, 7)]
    + [f"7.{n}" for n in range(1, 6)]
    + [f"8.{n}" for n in range(1, 13)]
    + ["9", "10"]
)


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def test_every_point_and_sub_point_of_the_regulation_is_in_the_catalogue(catalogue):
    assert catalogue.ids() == EXPECTED_IDS


def test_points_one_two_nine_and_ten_are_present_but_not_assessable(catalogue):
    not_assessable = [o.id for o in catalogue.obligations if not o.assessable]
    assert not_assessable == ["1", "2", "9", "10"]


def test_every_entry_has_text_title_role_subject_and_a_way_to_be_proven(catalogue):
    for o in catalogue.obligations:
        assert o.text_zh and o.title_en
        assert isinstance(o.role, Role) and isinstance(o.subject, SubjectKind)
        if o.assessable:
            assert o.evidence or o.check, o.id
            assert o.timing.rule != "none", o.id


def _squash(text: str) -> str:
    return re.sub(r"[\s\-（）()<>0-9一二三四五六七八九十、.]+", "", text)


def test_every_text_is_the_regulations_own_wording(catalogue):
    regulation = _squash(REGULATION.read_text(encoding="utf-8"))
    for o in catalogue.obligations:
        assert _squash(o.text_zh) in regulation, f"{o.id} is not verbatim"


def test_conditions_match_the_regulation(catalogue):
    assert "contract_custom_development" in catalogue.get("8.2").applies_when
    assert "staff_touches_sensitive_data" in catalogue.get("8.1").applies_when
    assert "staff_touches_sensitive_data" in catalogue.get("8.6").applies_when
    assert catalogue.get("8.6").evidence == ("staff_pledge",)
    assert catalogue.get("8.11").subject == SubjectKind.DEDICATED_PC
    assert catalogue.evidence_kinds["security_test_certificate"].validity_months == 12
    assert catalogue.evidence_kinds["staff_pledge"].valid_until_contract_end


def test_point_three_lists_eleven_legal_bases_and_eight_cloud_query_types(catalogue):
    assert len(catalogue.legal_bases) == 11
    channels = {c["id"]: c for c in catalogue.query_channels}
    assert len(channels["cloud_service"]["query_types"]) == 8
    assert len(channels["online_service"]["query_types"]) == 5


def test_the_sampling_rule_of_point_7_2_lives_in_the_catalogue_with_its_reading(catalogue):
    ratio, floor = catalogue.sampling_rule()
    assert (ratio.numerator, ratio.denominator, floor) == (1, 1000, 10)
    assert "max(10" in catalogue.get("7.2").reading


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "checklists"
    shutil.copytree(CHECKLISTS_DIR, target)
    return target


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


ENTRY = """
obligations:
  - id: "{id}"
    title_en: Local rule
    text_zh: "{text}"
    role: {role}
    subject: vendor
    evidence: [security_measures]
    timing: {{rule: before_start}}
"""


def test_a_second_catalogue_file_in_the_folder_is_loaded_too(folder):
    _write(folder, "local.yaml", ENTRY.format(id="L.1", text="本機關自訂事項", role="vendor"))
    catalogue = load_catalogue(folder)
    assert "L.1" in catalogue.ids()
    assert catalogue.get("L.1").source == "local.yaml"


def test_a_duplicate_id_is_refused_naming_both_files(folder):
    _write(folder, "local.yaml", ENTRY.format(id="8.2", text="重複", role="vendor"))
    with pytest.raises(CatalogueError, match=r"8\.2.*local\.yaml"):
        load_catalogue(folder)


def test_missing_text_is_refused(folder):
    _write(folder, "local.yaml", ENTRY.format(id="L.2", text="", role="vendor"))
    with pytest.raises(CatalogueError, match="missing text_zh"):
        load_catalogue(folder)


def test_an_unknown_role_is_refused_listing_the_allowed_ones(folder):
    _write(folder, "local.yaml", ENTRY.format(id="L.3", text="x", role="janitor"))
    with pytest.raises(CatalogueError, match="unknown role 'janitor'.*it_office"):
        load_catalogue(folder)


def test_an_unknown_predicate_or_evidence_kind_is_refused(folder):
    _write(
        folder,
        "local.yaml",
        ENTRY.format(id="L.4", text="x", role="vendor").replace(
            "evidence: [security_measures]", "evidence: [selfie]"
        ),
    )
    with pytest.raises(CatalogueError, match="unknown evidence kind 'selfie'"):
        load_catalogue(folder)


def test_a_file_that_is_not_yaml_is_refused_with_its_name(folder):
    _write(folder, "broken.yaml", "obligations: [\n  - id: 1\n")
    with pytest.raises(CatalogueError, match="broken.yaml"):
        load_catalogue(folder)


def test_every_entry_has_a_short_zh_tw_title_for_screens(catalogue):
    assert all(o.title_zh for o in catalogue.obligations)
