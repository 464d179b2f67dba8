"""Signed PDFs as agencies and vendors produce them: every signer, what changed after
signing, encryption that only restricts editing, and why a signer is not trusted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.evidence import corpus, signing
from tracker.inspection.signatures import SIGNATURE_KEYS

ALGORITHMS = ["AES-256", "AES-128", "RC4-128"]
SECOND = "陳美玲"  # the vendor's representative who countersigns


@pytest.fixture
def trusted(tmp_path):
    """A trust folder holding only the test root (the intermediate comes with each signature)."""
    folder = tmp_path / "trust"
    folder.mkdir()
    (folder / "root.pem").write_bytes(signing.chain().root_pem)
    return folder


@pytest.fixture(scope="module")
def signed() -> bytes:
    return signing.sign(corpus.pledge())


@pytest.fixture(scope="module")
def countersigned(signed) -> bytes:
    return signing.sign(signed, signing.chain(SECOND), "Signature2")


def codes(report) -> list[str]:
    return [r.code for r in report.reasons]


def test_a_person_certificate_issued_by_an_intermediate_chains_to_the_trusted_root(
    inspect, signed, trusted
):
    report = inspect(signed, kind="staff_pledge", trust_dir=trusted)
    assert report.verdict == "accepted" and report.reasons == ()
    assert (report.signature_intact, report.signature_trusted, report.signer) == (
        True,
        True,
        corpus.STAFF,
    )
    (entry,) = report.signatures
    assert entry == {
        "field": "Signature1",
        "signer": corpus.STAFF,
        "signed_at": entry["signed_at"],
        "intact": True,
        "trusted": True,
        "trust_problem": None,
        "covers_whole_file": True,
        "modification": "none",
    }


def test_every_signature_entry_has_exactly_the_contract_keys(inspect, countersigned, trusted):
    report = inspect(countersigned, trust_dir=trusted).to_dict()
    assert [set(entry) for entry in report["signatures"]] == [set(SIGNATURE_KEYS)] * 2
    assert set(SIGNATURE_KEYS) == {
        "field", "signer", "signed_at", "intact", "trusted", "trust_problem",
        "covers_whole_file", "modification",
    }  # fmt: skip


def test_the_signing_time_is_reported_as_an_iso_instant_with_its_offset(inspect, signed, trusted):
    stated = datetime.fromisoformat(inspect(signed, trust_dir=trusted).signatures[0]["signed_at"])
    assert stated.tzinfo is not None
    assert abs(datetime.now(UTC) - stated) < timedelta(days=1)


# --- encryption ------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_a_signed_pledge_encrypted_against_editing_only_is_accepted_with_its_signature(
    inspect, trusted, algorithm
):
    data = signing.sign(signing.encrypt(corpus.pledge(), algorithm), password="")
    report = inspect(data, kind="staff_pledge", expect=[corpus.STAFF], trust_dir=trusted)
    assert report.verdict == "accepted", report.reasons
    assert (report.encrypted, report.password_required) == (True, False)
    assert (report.signed, report.signature_intact, report.signature_trusted) == (True, True, True)
    assert report.signer == corpus.STAFF and report.keywords_missing == ()


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_a_pledge_encrypted_and_signed_by_pyhanko_itself_is_accepted(inspect, trusted, algorithm):
    data = signing.sign(signing.pyhanko_encrypt(corpus.pledge(), algorithm), password="")
    report = inspect(data, kind="staff_pledge", trust_dir=trusted)
    assert report.verdict == "accepted", report.reasons
    assert (report.encrypted, report.password_required, report.signature_trusted) == (True, False, True)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_an_owner_password_only_pdf_is_encrypted_but_needs_no_password(inspect, algorithm):
    report = inspect(signing.encrypt(corpus.pledge(), algorithm), kind="staff_pledge")
    assert report.verdict == "accepted"
    assert (report.encrypted, report.password_required, report.pages) == (True, False, 2)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_a_pdf_that_needs_a_password_to_open_is_refused_for_that_alone(inspect, algorithm):
    data = signing.encrypt(corpus.pledge(), algorithm, user_password="開門")
    report = inspect(data, kind="staff_pledge")
    assert report.verdict == "rejected" and codes(report) == ["encrypted"]
    assert (report.encrypted, report.password_required) == (True, True)


def test_a_signed_file_that_needs_a_password_is_refused_without_reading_its_signature(inspect):
    locked = signing.encrypt(signing.sign(corpus.pledge()), user_password="pw")
    report = inspect(locked)
    assert (report.verdict, report.password_required, report.signatures) == ("rejected", True, ())


def test_an_unencrypted_file_is_neither_encrypted_nor_locked(inspect, signed):
    report = inspect(signed)
    assert (report.encrypted, report.password_required) == (False, False)


# --- every signer --------------------------------------------------------------------


def test_a_countersigned_pledge_lists_both_signers_in_signing_order(
    inspect, countersigned, trusted
):
    report = inspect(countersigned, kind="staff_pledge", trust_dir=trusted)
    assert report.verdict == "accepted", report.reasons
    first, second = report.signatures
    assert (first["field"], first["signer"], second["field"], second["signer"]) == (
        "Signature1",
        corpus.STAFF,
        "Signature2",
        SECOND,
    )
    assert (first["covers_whole_file"], second["covers_whole_file"]) == (False, True)
    assert (first["modification"], second["modification"]) == ("lta_updates", "none")
    assert report.signer == corpus.STAFF  # the summary keeps the first signer
    assert (report.signature_intact, report.signature_trusted) == (True, True)


def test_three_signers_are_all_reported(inspect, countersigned, trusted):
    data = signing.sign(countersigned, signing.chain("林志明"), "Signature3")
    report = inspect(data, trust_dir=trusted)
    assert [s["signer"] for s in report.signatures] == [corpus.STAFF, SECOND, "林志明"]
    assert [s["modification"] for s in report.signatures] == ["lta_updates"] * 2 + ["none"]
    assert report.verdict == "accepted"


def test_an_untrusted_countersigner_is_named_and_the_first_signer_stays_the_summary(
    inspect, signed, trusted
):
    stranger = signing.chain("外包人員", root_name="Unknown Root CA")
    report = inspect(signing.sign(signed, stranger, "Signature2"), trust_dir=trusted)
    assert report.verdict == "needs_review" and codes(report) == ["signature_untrusted"]
    assert "外包人員" in report.reasons[0].zh and corpus.STAFF not in report.reasons[0].zh
    assert [s["trusted"] for s in report.signatures] == [True, False]
    assert (report.signer, report.signature_trusted, report.signature_intact) == (
        corpus.STAFF,
        False,
        True,
    )


def test_a_byte_changed_in_the_first_revision_breaks_both_signatures(
    inspect, countersigned, trusted
):
    report = inspect(corpus.tampered(countersigned), trust_dir=trusted)
    assert report.verdict == "rejected" and codes(report)[0] == "signature_broken"
    assert [s["intact"] for s in report.signatures] == [False, False]
    assert report.signature_intact is False


# --- what changed after signing ---------------------------------------------------------


def test_a_sticky_note_after_signing_goes_to_a_person_and_the_signature_stays_intact(
    inspect, signed, trusted
):
    report = inspect(signing.add_sticky_note(signed), kind="staff_pledge", trust_dir=trusted)
    assert report.verdict == "needs_review" and codes(report) == ["annotations_after_signing"]
    assert "註解" in report.reasons[0].zh and "comments" in report.reasons[0].en
    assert (report.signature_intact, report.signature_trusted) == (True, True)
    (entry,) = report.signatures
    assert (entry["intact"], entry["modification"], entry["covers_whole_file"]) == (
        True,
        "annotations",
        False,
    )


def test_several_comments_in_several_revisions_are_still_annotations(inspect, signed, trusted):
    data = signing.add_sticky_note(signing.add_sticky_note(signed, "一"), "二")
    report = inspect(data, trust_dir=trusted)
    assert report.signatures[0]["modification"] == "annotations"
    assert report.verdict == "needs_review"


@pytest.mark.parametrize("order", ["note then countersignature", "countersignature then note"])
def test_comments_and_a_countersignature_together_are_annotations_not_tampering(
    inspect, signed, trusted, order
):
    if order == "note then countersignature":
        data = signing.sign(signing.add_sticky_note(signed), signing.chain(SECOND), "Signature2")
    else:
        data = signing.add_sticky_note(signing.sign(signed, signing.chain(SECOND), "Signature2"))
    report = inspect(data, trust_dir=trusted)
    assert report.verdict == "needs_review" and codes(report) == ["annotations_after_signing"]
    assert report.signatures[0]["modification"] == "annotations"
    assert all(s["intact"] and s["trusted"] for s in report.signatures)


def test_a_comment_on_the_second_page_is_a_comment_too(inspect, signed, trusted):
    report = inspect(signing.add_sticky_note(signed, page=1), trust_dir=trusted)
    assert report.signatures[0]["modification"] == "annotations"


def test_editing_or_removing_a_comment_made_before_signing_is_annotations(inspect, trusted):
    commented = signing.sign(signing.add_sticky_note(corpus.pledge(), "原註解"))
    for data in (signing.edit_notes(commented, "改過的註解"), signing.remove_notes(commented)):
        report = inspect(data, trust_dir=trusted)
        assert report.signatures[0]["modification"] == "annotations"
        assert codes(report) == ["annotations_after_signing"]


def test_an_invisible_empty_signature_field_added_for_a_later_signer_is_harmless(
    inspect, signed, trusted
):
    report = inspect(signing.add_empty_signature_field(signed), kind="staff_pledge", trust_dir=trusted)
    assert report.verdict == "accepted", report.reasons
    assert report.signature_fields == 2 and len(report.signatures) == 1
    assert report.signatures[0]["modification"] == "lta_updates"


def test_a_visible_empty_signature_field_added_after_signing_goes_to_a_person(
    inspect, signed, trusted
):
    data = signing.add_empty_signature_field(signed, visible=True)
    report = inspect(data, trust_dir=trusted)  # a box drawn on the page, nobody vouching for it
    assert report.signatures[0]["modification"] == "form_filling"
    assert codes(report) == ["form_filled_after_signing"]


def test_a_replaced_page_is_content_changed_after_signing(inspect, signed, trusted):
    report = inspect(signing.replace_page_content(signed), trust_dir=trusted)
    assert report.verdict == "rejected" and codes(report) == ["content_changed_after_signing"]
    assert report.reasons[0].zh.startswith("簽署後內容遭變更")
    assert report.signature_intact is True
    assert report.signatures[0]["modification"] == "other"


def test_a_web_link_added_after_signing_is_not_a_comment(inspect, signed, trusted):
    report = inspect(signing.add_link(signed), trust_dir=trusted)
    assert report.verdict == "rejected" and report.signatures[0]["modification"] == "other"


def test_a_form_field_filled_after_signing_goes_to_a_person_naming_the_field(inspect, trusted):
    data = signing.fill_field(signing.sign(signing.with_text_field("remark")), "remark")
    report = inspect(data, trust_dir=trusted)
    assert report.verdict == "needs_review" and codes(report) == ["form_filled_after_signing"]
    assert "「remark」" in report.reasons[0].zh
    assert report.signatures[0]["modification"] == "form_filling"


def test_a_document_timestamp_after_signing_is_harmless(inspect, signed, trusted):
    report = inspect(signing.timestamp(signed), kind="staff_pledge", trust_dir=trusted)
    assert report.verdict == "accepted", report.reasons
    assert [s["modification"] for s in report.signatures] == ["lta_updates"]


def test_long_term_validation_data_added_after_signing_is_harmless(inspect, signed, trusted):
    report = inspect(signing.add_ltv_data(signed), kind="staff_pledge", trust_dir=trusted)
    assert report.verdict == "accepted", report.reasons
    assert report.signatures[0]["modification"] == "lta_updates"


def test_a_comment_on_an_encrypted_signed_pledge_is_recognised_as_a_comment(inspect, trusted):
    data = signing.sign(signing.encrypt(corpus.pledge()), password="")
    report = inspect(signing.add_sticky_note(data, password=""), trust_dir=trusted)
    assert report.verdict == "needs_review" and codes(report) == ["annotations_after_signing"]
    assert report.encrypted is True


def test_a_replaced_page_in_an_encrypted_signed_pledge_is_refused(inspect, trusted):
    data = signing.sign(signing.encrypt(corpus.pledge(), "AES-128"), password="")
    report = inspect(signing.replace_page_content(data, password=""), trust_dir=trusted)
    assert report.verdict == "rejected" and codes(report) == ["content_changed_after_signing"]


def test_a_comment_a_certifying_signature_forbids_is_refused(inspect, trusted):
    certified = signing.sign(corpus.pledge(), certify=True)  # allows form filling only
    report = inspect(signing.add_sticky_note(certified), trust_dir=trusted)
    assert report.verdict == "rejected" and codes(report)[0] == "changes_not_permitted"


def test_form_filling_a_certifying_signature_allows_goes_to_a_person(inspect, trusted):
    certified = signing.sign(signing.with_text_field(), certify=True)
    report = inspect(signing.fill_field(certified), trust_dir=trusted)
    assert report.verdict == "needs_review" and codes(report) == ["form_filled_after_signing"]


@pytest.mark.parametrize(
    "change, verdict, modification",
    [
        (signing.pypdf_sticky_note, "needs_review", "annotations"),
        (signing.pypdf_title, "accepted", "lta_updates"),
        (signing.pypdf_overlay, "rejected", "other"),
    ],
    ids=["sticky note", "document title", "page overlay"],
)
def test_changes_written_by_pypdf_are_classified_like_any_other(
    inspect, signed, trusted, change, verdict, modification
):
    report = inspect(signing.pypdf_update(signed, change), kind="staff_pledge", trust_dir=trusted)
    assert (report.verdict, report.signatures[0]["modification"]) == (verdict, modification)
    assert report.signature_intact is True


def test_a_form_filled_with_pypdf_after_signing_is_form_filling(inspect, trusted):
    data = signing.pypdf_update(signing.sign(signing.with_text_field()), signing.pypdf_fill)
    report = inspect(data, trust_dir=trusted)
    assert report.signatures[0]["modification"] == "form_filling"
    assert codes(report) == ["form_filled_after_signing"]


# --- why a signer is not trusted ---------------------------------------------------------


@pytest.mark.parametrize(
    "validity, problem, code, words",
    [
        ((-400, -30), "expired", "signature_expired", "已過期"),
        ((30, 400), "not_yet_valid", "signature_not_yet_valid", "尚未生效"),
    ],
)
def test_a_certificate_outside_its_validity_says_so_and_not_that_the_root_is_missing(
    inspect, trusted, validity, problem, code, words
):
    who = signing.chain("李大華", valid_from_days=validity[0], valid_until_days=validity[1])
    report = inspect(signing.sign(corpus.pledge(), who), kind="staff_pledge", trust_dir=trusted)
    assert report.verdict == "needs_review" and codes(report) == [code]
    assert words in report.reasons[0].zh and "trusted root" not in report.reasons[0].en
    assert report.signatures[0]["trust_problem"] == problem
    assert (report.signature_intact, report.signature_trusted) == (True, False)


def test_a_signer_under_a_root_that_is_not_trusted_is_an_untrusted_root(inspect, trusted):
    who = signing.chain("張三", root_name="Some Other Root CA")
    report = inspect(signing.sign(corpus.pledge(), who), trust_dir=trusted)
    assert codes(report) == ["signature_untrusted"] and "trusted root" in report.reasons[0].en
    assert report.signatures[0]["trust_problem"] == "untrusted_root"


def test_an_expired_certificate_under_an_untrusted_root_is_reported_as_expired(inspect, trusted):
    who = signing.chain("王五", root_name="Old Root CA", valid_from_days=-800, valid_until_days=-1)
    report = inspect(signing.sign(corpus.pledge(), who), trust_dir=trusted)
    assert report.signatures[0]["trust_problem"] == "expired"


def test_without_any_trusted_root_every_signer_is_an_untrusted_root(inspect, countersigned):
    report = inspect(countersigned)
    assert [s["trust_problem"] for s in report.signatures] == ["untrusted_root"] * 2
    assert codes(report) == ["signature_untrusted"]
    assert corpus.STAFF in report.reasons[0].zh and SECOND in report.reasons[0].zh


def test_a_broken_signature_has_no_trust_problem_of_its_own(inspect, signed, trusted):
    (entry,) = inspect(corpus.tampered(signed), trust_dir=trusted).signatures
    assert (entry["intact"], entry["trusted"], entry["trust_problem"]) == (False, False, None)
