"""The canonical JSON the chain hashes: bytes the project defines, whatever serialiser is installed."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import subprocess
import sys

import pytest

from tests.ops.schema1_fixture import FOLDER
from tracker.activitylog import canonical
from tracker.activitylog.canonical import canonical_bytes, canonical_text
from tracker.activitylog.chain import entry_hash
from tracker.activitylog.log import ActivityLog
from tracker.ops.package_texts import VERIFY_CHAIN_SCRIPT


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (6.26812346e20, "6.26812346e20"),
        (1e16, "1e16"),
        (1.2345678901234568e17, "1.2345678901234568e17"),
        (1e22, "1e22"),
        (1.7976931348623157e308, "1.7976931348623157e308"),
        (1e15, "1000000000000000.0"),
        (123.0, "123.0"),
        (0.1, "0.1"),
        (1e-4, "0.0001"),
        (1e-5, "0.00001"),
        (1.5e-5, "0.000015"),
        (-9.99e-5, "-0.0000999"),
        (1e-6, "1e-6"),
        (5e-324, "5e-324"),
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (float("nan"), "null"),
        (float("-inf"), "null"),
        (2**64, "18446744073709551616"),
        (-(2**70), "-1180591620717411303424"),
        (True, "true"),
        (None, "null"),
    ],
)
def test_numbers_and_constants_have_one_fixed_form(value, text):
    assert canonical_text(value) == text
    assert canonical_bytes(value) == text.encode()


def test_text_is_utf_8_as_is_with_only_what_json_requires_escaped():
    value = {"z": "臺北市 é \U0001f600 \u2028 \x7f", "a": '"\\\b\f\n\r\t\x00\x1f'}
    expected = '{"a":"\\"\\\\\\b\\f\\n\\r\\t\\u0000\\u001f","z":"臺北市 é \U0001f600 \u2028 \x7f"}'
    assert canonical_bytes(value) == expected.encode("utf-8")


def test_keys_sort_by_code_point_and_nothing_else_is_added():
    value = {"\U0001f600": 1, "\uffff": 2, "b": [], "B": {}, "a": [1, [2, {}]]}
    assert (
        canonical_bytes(value)
        == '{"B":{},"a":[1,[2,{}]],"b":[],"\uffff":2,"\U0001f600":1}'.encode()
    )


def test_the_fast_path_and_the_reference_agree_on_random_entries():
    rng = random.Random(11)
    for _ in range(3000):
        value = {
            "f": rng.random() * 10 ** rng.randint(-30, 30) * rng.choice((1, -1)),
            "n": rng.randint(-(2**80), 2**80),
            "s": "".join(chr(rng.randint(0, 0x2FFF)) for _ in range(8)),
            "l": [rng.random(), {"k": rng.randint(0, 9)}],
        }
        assert canonical_bytes(value) == canonical_text(value).encode("utf-8")


def test_the_form_does_not_depend_on_the_installed_orjson(monkeypatch):
    """With orjson's output turned away (as if a newer release wrote e+20), nothing changes."""
    entry = {"after": {"x": 6.26812346e20, "t": "北辰"}, "seq": 1}
    expected = canonical_bytes(entry)
    monkeypatch.setattr(canonical, "_ORJSON_AGREES", False)
    assert canonical_bytes(entry) == expected == canonical_text(entry).encode()


def test_types_without_a_canonical_form_are_refused():
    from datetime import date
    from enum import Enum

    Colour = Enum("Colour", "RED")
    for bad in (date(2026, 1, 1), Colour.RED, {1: "x"}, b"bytes", {"set": {1}}):
        with pytest.raises(TypeError):
            canonical_bytes(bad)


def test_the_committed_schema_1_log_still_verifies_under_the_project_s_form(tmp_path):
    shutil.copytree(FOLDER, tmp_path / "old")
    log = ActivityLog(tmp_path / "old" / "data")
    assert log.verify().ok
    for raw in log.raw_lines():
        entry = json.loads(raw)
        assert entry_hash(entry) == entry["hash"]


def test_the_auditor_s_script_computes_the_same_hashes_with_the_standard_library(tmp_path):
    lines, prev = [], "0" * 64
    for seq, value in enumerate([6.26812346e20, 1e-5, -0.0, "臺\u2028北", 2**70], start=1):
        body = {"seq": seq, "prev_hash": prev, "after": {"v": value}}
        prev = hashlib.sha256(canonical_bytes(body)).hexdigest()
        lines.append(canonical_bytes(body)[:-1] + f',"hash":"{prev}"}}\n'.encode())
    (tmp_path / "extract.jsonl").write_bytes(b"".join(lines))
    (tmp_path / "chain.txt").write_text(f"hash_before_first_line: {'0' * 64}\nlast_hash: {prev}\n")
    (tmp_path / "verify_chain.py").write_text(VERIFY_CHAIN_SCRIPT)
    checked = subprocess.run(
        [sys.executable, "-I", "verify_chain.py"], cwd=tmp_path, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout
    assert "OK: 5 lines" in checked.stdout
