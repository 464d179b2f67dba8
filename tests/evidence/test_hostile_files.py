"""Broken and hostile files end as a verdict, within the limits, and the sandbox survives them."""

from __future__ import annotations

import time

import pytest

from tests.evidence import corpus

BOUND_S = 15.0  # what the CLI promises for any input

REJECTED = {
    "empty": (lambda: b"", "empty"),
    "whitespace": (lambda: b" \n\t ", "empty"),
    "png_renamed_to_pdf": (corpus.png_bytes, "not_pdf"),
    "zip_renamed_to_pdf": (corpus.zip_bytes, "not_pdf"),
    "truncated_upload": (corpus.truncated, "truncated"),
    "garbage_behind_a_pdf_header": (corpus.garbage_with_header, "unreadable"),
    "encrypted_with_a_user_password": (corpus.encrypted, "encrypted"),
    "no_pages": (corpus.no_pages, "no_pages"),
    "cyclic_page_tree": (corpus.cyclic_page_tree, None),
    "arrays_nested_100k_deep": (corpus.deep_nesting, None),
    "flate_bomb_of_2_gib": (corpus.flate_bomb, "limit_exceeded"),
    "text_extraction_bomb": (corpus.text_bomb, "limit_exceeded"),
}

ACTIVE_CONTENT = {
    "javascript_open_action": (corpus.with_javascript, {"javascript", "open_action"}),
    "launch_action": (corpus.with_launch_action, {"launch_action", "open_action"}),
    "embedded_file": (corpus.with_embedded_file, {"embedded_file"}),
    "submit_form": (corpus.with_submit_form, {"submit_form"}),
}


@pytest.mark.parametrize("name", REJECTED)
def test_a_broken_or_hostile_file_is_rejected_in_bounded_time(inspect, name):
    build, code = REJECTED[name]
    began = time.monotonic()
    report = inspect(build(), kind="staff_pledge")
    assert time.monotonic() - began < BOUND_S
    assert report.verdict == "rejected"
    assert report.reasons and report.reasons[0].zh and report.reasons[0].en
    if code:
        assert report.reasons[0].code == code


def test_a_file_rejected_before_parsing_still_has_hash_and_size_and_empty_facts(inspect):
    report = inspect(corpus.png_bytes(), expect=["保密"]).to_dict()
    assert report["bytes"] == len(corpus.png_bytes()) and len(report["sha256"]) == 64
    assert (
        report["pages"] is None and report["signature_intact"] is None and report["signer"] is None
    )
    assert (
        report["encrypted"] is False and report["text_layer"] is False and report["signed"] is False
    )
    assert report["password_required"] is False and report["signatures"] == []
    assert report["keywords_found"] == report["keywords_missing"] == report["risky_features"] == []
    assert report["signature_fields"] == 0


def test_an_encrypted_file_reports_encrypted_and_that_it_needs_a_password(inspect):
    report = inspect(corpus.encrypted())
    assert (report.verdict, report.encrypted, report.password_required) == ("rejected", True, True)


def test_a_file_locked_only_against_editing_opens_and_is_read_and_is_still_encrypted(inspect):
    report = inspect(corpus.encrypted(user_password=""), kind="staff_pledge")
    assert (report.verdict, report.pages) == ("accepted", 2)
    assert (report.encrypted, report.password_required) == (True, False)


def test_a_file_over_the_size_limit_is_rejected_before_anything_else(inspect):
    report = inspect(corpus.with_javascript(), max_bytes=100)
    assert [r.code for r in report.reasons] == ["too_large"]
    assert report.risky_features == ()


def test_a_flate_bomb_is_stopped_by_the_memory_limit_when_pypdfs_own_limit_is_not_reached(inspect):
    report = inspect(corpus.flate_bomb(mib=48), memory_mb=128)
    assert report.verdict == "rejected"
    assert report.reasons[0].code == "limit_exceeded"
    assert "memory" in report.reasons[0].en


def test_a_parse_that_outlives_the_wall_clock_is_killed_and_rejected(inspect):
    report = inspect(corpus.pledge(), timeout_s=0.001)
    assert report.verdict == "rejected"
    assert report.reasons[0].en == "could not be read safely: time limit"


@pytest.mark.parametrize("name", ACTIVE_CONTENT)
def test_active_content_sends_the_file_to_a_person(inspect, name):
    build, features = ACTIVE_CONTENT[name]
    report = inspect(build())
    assert report.verdict == "needs_review"
    assert set(report.risky_features) == features
    assert [r.code for r in report.reasons] == ["risky_features"]


def test_javascript_hidden_in_a_compressed_object_stream_is_found(inspect):
    data = corpus.javascript_in_object_stream()
    assert b"/ObjStm" in data and b"JavaScript" not in data
    report = inspect(data)
    assert "javascript" in report.risky_features
    assert report.verdict == "needs_review"


def test_the_sandbox_still_accepts_a_good_file_after_the_hostile_ones(inspect):
    for build in (corpus.flate_bomb, corpus.deep_nesting, corpus.cyclic_page_tree):
        inspect(build())
    inspect(corpus.pledge(), timeout_s=0.001)
    assert inspect(corpus.pledge(), kind="staff_pledge").verdict == "accepted"
