"""Inspection of good files: what is accepted, what goes to a person, and the report's shape."""

from __future__ import annotations

import hashlib

import pytest

from tests.evidence import corpus
from tests.evidence.corpus import CONTRACT_FIELDS
from tracker.core.errors import InvalidInput
from tracker.compliance.loader import default_catalogue
from tracker.inspection.inspector import expectations, inspect_file


def codes(report) -> list[str]:
    return [reason.code for reason in report.reasons]


def test_a_generated_pledge_with_every_expected_text_is_accepted(inspect):
    expect = [corpus.STAFF, corpus.VENDOR, corpus.FORM_NUMBER]
    report = inspect(corpus.pledge(), kind="staff_pledge", expect=expect)
    assert report.verdict == "accepted"
    assert report.reasons == ()
    assert report.keywords_found == ("保密切結書", *expect)
    assert report.keywords_missing == ()
    assert (report.pages, report.text_layer, report.encrypted) == (2, True, False)
    assert (report.signature_fields, report.signed, report.signature_intact) == (0, False, None)
    assert report.form_numbers == (corpus.FORM_NUMBER,)


def test_the_report_carries_the_hash_and_size_of_the_exact_bytes(inspect):
    data = corpus.pledge()
    report = inspect(data)
    assert report.sha256 == hashlib.sha256(data).hexdigest()
    assert report.bytes == len(data)


def test_the_report_dict_has_every_field_of_the_json_contract(inspect):
    out = inspect(corpus.with_javascript(), expect=["nowhere"]).to_dict()
    assert out.keys() >= CONTRACT_FIELDS
    assert out["verdict"] == "needs_review"
    assert all(set(reason) == {"code", "zh", "en"} for reason in out["reasons"])
    assert isinstance(out["keywords_missing"], list) and isinstance(out["risky_features"], list)


def test_a_missing_expected_text_sends_the_file_to_a_person(inspect):
    report = inspect(corpus.pledge(), expect=["李大華"])
    assert report.verdict == "needs_review"
    assert codes(report) == ["expected_text_missing"]
    assert report.keywords_missing == ("李大華",)
    assert "李大華" in report.reasons[0].zh


def test_expected_texts_match_despite_full_width_forms_and_layout_spaces(inspect):
    report = inspect(
        corpus.pledge(), expect=["保 密 切\n結 書", "ＰＬＧ－１１５－０Ａ１Ｂ２Ｃ３Ｄ"]
    )
    assert report.verdict == "accepted"
    assert report.keywords_missing == ()


def test_the_staff_pledge_kind_expects_the_form_title(inspect):
    report = inspect(corpus.text_page_pdf(), kind="staff_pledge")
    assert report.verdict == "needs_review"
    assert report.keywords_missing == ("保密切結書",)


def test_an_image_only_scan_has_no_text_layer_and_needs_a_person(inspect):
    report = inspect(corpus.image_only_scan(), kind="staff_pledge")
    assert report.verdict == "needs_review"
    assert report.text_layer is False
    assert codes(report) == ["no_text_layer"]
    assert report.keywords_missing == ("保密切結書",)
    assert report.pages == 1


@pytest.mark.parametrize("written", ["2026-03-02", "2026/3/2", "115/03/02", "115.3.2"])
def test_a_security_test_certificate_with_a_test_date_is_accepted(inspect, written):
    report = inspect(corpus.certificate_pdf(written), kind="security_test_certificate")
    assert report.verdict == "accepted"
    assert report.dates_found == ("2026-03-02",)


def test_a_roc_long_date_counts_as_a_test_date(inspect):
    report = inspect(corpus.pledge(), kind="security_test_certificate")
    assert "2026-03-02" in report.dates_found
    assert report.verdict == "accepted"


def test_a_security_test_certificate_without_a_date_needs_a_person(inspect):
    report = inspect(corpus.certificate_pdf("not yet"), kind="security_test_certificate")
    assert report.verdict == "needs_review"
    assert codes(report) == ["date_missing"]


def test_a_plain_web_link_is_not_active_content(inspect):
    report = inspect(corpus.with_link())
    assert report.verdict == "accepted"
    assert report.risky_features == ()


def test_every_glossary_evidence_kind_is_a_catalogue_kind_with_its_expected_texts():
    kinds = default_catalogue().evidence_kinds
    assert set(kinds) == {
        "staff_pledge", "confidentiality_clause", "suitability_check", "security_test_certificate",
        "security_measures", "dedicated_pc_checklist", "account_removal_record", "incident_report",
        "account_application", "proxy_query_form", "audit_record",
    }  # fmt: skip
    assert kinds["staff_pledge"].texts == ("保密切結書",)
    assert kinds["security_test_certificate"].date and not kinds["staff_pledge"].date


def test_kind_texts_come_first_and_duplicates_are_dropped():
    wanted = expectations("staff_pledge", ["王小明", "保密切結書"])
    assert (wanted.texts, wanted.level_tests, wanted.date) == (("保密切結書", "王小明"), (), False)
    certificate = expectations("security_test_certificate")
    assert (certificate.texts, certificate.level_tests, certificate.date) == ((), (), True)


def test_an_unknown_kind_is_refused_with_the_known_kinds_listed():
    with pytest.raises(InvalidInput) as error:
        expectations("pledge")
    assert "staff_pledge" in str(error.value)


def test_a_blank_expected_text_is_refused():
    with pytest.raises(InvalidInput):
        expectations(None, ["  "])


def test_inspect_file_hashes_an_oversized_file_without_parsing_it(tmp_path, sandbox):
    path = tmp_path / "big.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"0" * 5000)
    report = inspect_file(path, max_bytes=1000, sandbox=sandbox)
    assert report.verdict == "rejected"
    assert codes(report) == ["too_large"]
    assert report.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (report.bytes, report.pages) == (5009, None)


def test_inspect_file_refuses_a_missing_file_and_a_directory(tmp_path):
    with pytest.raises(InvalidInput):
        inspect_file(tmp_path / "missing.pdf")
    with pytest.raises(InvalidInput):
        inspect_file(tmp_path)
