"""Digital signatures: intact and trusted, intact but untrusted, broken, and unsigned fields."""

from __future__ import annotations

from tests.evidence import corpus
from tracker.inspection.signatures import load_trust_roots


def test_a_pledge_signed_by_a_trusted_signer_is_accepted(inspect, signed_pledge, trust_dir):
    report = inspect(signed_pledge, kind="staff_pledge", trust_dir=trust_dir)
    assert report.verdict == "accepted"
    assert (report.signature_fields, report.signed) == (1, True)
    assert (report.signature_intact, report.signature_trusted) == (True, True)
    assert report.signer == corpus.STAFF


def test_without_trust_roots_an_intact_signature_goes_to_a_person(inspect, signed_pledge):
    report = inspect(signed_pledge, kind="staff_pledge")
    assert report.verdict == "needs_review"
    assert [r.code for r in report.reasons] == ["signature_untrusted"]
    assert (report.signature_intact, report.signature_trusted) == (True, False)
    assert report.signer == corpus.STAFF


def test_an_empty_trust_folder_trusts_nobody(inspect, signed_pledge, tmp_path):
    report = inspect(signed_pledge, trust_dir=tmp_path)
    assert report.signature_trusted is False


def test_a_byte_changed_inside_the_signed_range_breaks_the_signature(
    inspect, signed_pledge, trust_dir
):
    report = inspect(corpus.tampered(signed_pledge), trust_dir=trust_dir)
    assert report.verdict == "rejected"
    assert report.reasons[0].code == "signature_broken"
    assert (report.signed, report.signature_intact) == (True, False)


def test_a_later_revision_that_replaces_page_content_is_content_changed_after_signing(
    inspect, signed_pledge, trust_dir
):
    report = inspect(corpus.modified_after_signing(signed_pledge), trust_dir=trust_dir)
    assert report.verdict == "rejected"
    assert [r.code for r in report.reasons] == ["content_changed_after_signing"]
    assert "content changed after signing" in report.reasons[0].en
    assert report.signature_intact is True  # the signed bytes themselves are untouched
    assert report.signatures[0]["modification"] == "other"


def test_an_empty_signature_field_is_counted_but_not_signed(inspect):
    report = inspect(corpus.with_empty_signature_field(corpus.pledge()), kind="staff_pledge")
    assert report.verdict == "accepted"
    assert (report.signature_fields, report.signed) == (1, False)
    assert report.signature_intact is None and report.signer is None


def test_a_signer_certificate_with_digital_signature_only_is_trusted(inspect, tmp_path):
    pki = corpus.test_pki("陳美玲", non_repudiation=False)
    (tmp_path / "root.crt").write_bytes(pki.ca_pem)
    report = inspect(corpus.signed(corpus.pledge(), pki), trust_dir=tmp_path)
    assert (report.signature_trusted, report.signer) == (True, "陳美玲")


def test_trust_roots_are_read_from_pem_and_der_files_and_junk_is_skipped(tmp_path, pki):
    (tmp_path / "a.pem").write_bytes(pki.ca_pem + pki.ca_pem)
    (tmp_path / "b.der").write_bytes(pki.ca_der)
    (tmp_path / "broken.cer").write_bytes(b"not a certificate")
    (tmp_path / "readme.txt").write_bytes(pki.ca_pem)
    assert load_trust_roots(tmp_path) == [pki.ca_der] * 3


def test_no_trust_folder_means_no_roots(tmp_path):
    assert load_trust_roots(None) == []
    assert load_trust_roots(tmp_path / "missing") == []
