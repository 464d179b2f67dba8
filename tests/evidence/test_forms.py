"""The pre-filled pledge form, ROC dates and the text normalisation used to match them."""

from __future__ import annotations

import io
import re
from datetime import date

import pypdf
import pytest

from tests.evidence import corpus
from tracker.documents import pledge as forms
from tracker.inspection import probe as pdf_probe
from tracker.core.errors import InvalidInput, TrackerError
from tracker.core.dates import find_dates, parse_roc, roc_date, roc_short
from tracker.core.text import contains, garbled_ratio, match_key, normalize_text


def pledge_text() -> str:
    reader = pypdf.PdfReader(io.BytesIO(corpus.pledge()))
    return normalize_text("\n".join(page.extract_text() for page in reader.pages))


def test_the_pledge_is_a_short_a4_pdf_with_the_title():
    reader = pypdf.PdfReader(io.BytesIO(corpus.pledge()))
    assert len(reader.pages) == 2  # the pledge, then the rules it rests on
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)
    assert forms.PLEDGE_TITLE in pledge_text()


def test_the_pledge_text_layer_carries_the_form_number_and_the_names():
    text = pledge_text()
    key = match_key(text)
    assert forms.find_form_numbers(text) == [corpus.FORM_NUMBER]
    for name in (corpus.STAFF, corpus.VENDOR, corpus.CONTRACT, "臺北市政府社會局"):
        assert contains(key, name)


def test_the_pledge_prints_its_issue_date_in_the_roc_calendar():
    assert "民國 115 年 3 月 2 日" in pledge_text()


def test_the_pledge_cites_the_duties_of_points_8_9_and_8_11():
    key = match_key(pledge_text())
    for duty in ("不得作為其他用途", "專用電腦", "不連接網際網路", "依職權告發"):
        assert contains(key, duty)


def test_new_form_numbers_are_unique_and_carry_the_roc_year():
    numbers = {forms.new_form_number(date(2026, 3, 2)) for _ in range(200)}
    assert len(numbers) == 200
    assert all(forms.FORM_NUMBER_RE.fullmatch(n) and n.startswith("PLG-115-") for n in numbers)


def test_form_numbers_are_found_once_and_lookalikes_are_ignored():
    text = "表單編號PLG-115-0A1B2C3D 頁尾 PLG-115-0A1B2C3D ＰＬＧ－１１４－ＦＦＦＦ００００ XPLG-115-12345678 PLG-115-1234567"
    assert forms.find_form_numbers(text) == ["PLG-115-0A1B2C3D", "PLG-114-FFFF0000"]


def test_a_malformed_form_number_is_refused():
    with pytest.raises(ValueError):
        forms.render_pledge_form(
            form_number="123",
            staff_name="a",
            vendor_name="b",
            contract_title="c",
            issued_on=date.today(),
        )


def test_a_missing_cjk_font_names_the_debian_package(monkeypatch):
    monkeypatch.delenv(forms.FONT_ENV, raising=False)
    monkeypatch.setattr(forms, "FONT_CANDIDATES", ("/nonexistent/font.ttc",))
    with pytest.raises(TrackerError, match="fonts-noto-cjk"):
        forms.find_cjk_font()


def test_the_font_environment_variable_wins_and_must_exist(monkeypatch, tmp_path):
    monkeypatch.setenv(forms.FONT_ENV, str(tmp_path / "missing.otf"))
    with pytest.raises(TrackerError, match=forms.FONT_ENV):
        forms.find_cjk_font()


@pytest.mark.parametrize(
    ("collection", "index"),
    [
        ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 3),  # JP, KR, SC, TC, HK…
        ("/usr/share/fonts/truetype/arphic/uming.ttc", 2),  # CN, HK, TW, TW MBE
    ],
)
def test_the_traditional_chinese_face_is_picked_from_a_collection(collection, index):
    # scripts/test.sh installs both Debian packages (fonts-noto-cjk, fonts-arphic-uming)
    assert forms._collection_index(collection) == index


def test_roc_dates_are_written_long_and_short():
    assert roc_date(date(2026, 3, 2)) == "民國 115 年 3 月 2 日"
    assert roc_short(date(2026, 3, 2)) == "115/03/02"
    assert roc_short(date(1912, 1, 1)) == "1/01/01"


@pytest.mark.parametrize(
    "text",
    [
        "民國 115 年 3 月 2 日",
        "中華民國115年3月2日",
        "115年03月02日",
        "115/03/02",
        "115.3.2",
        "１１５/３/２",
    ],
)
def test_roc_dates_are_parsed_in_every_usual_form(text):
    assert parse_roc(text) == date(2026, 3, 2)


@pytest.mark.parametrize(
    "text", ["", "abc", "115/02/30", "115/13/01", "0/01/01", "2026-03-02", "115年3月"]
)
def test_nonsense_is_not_an_roc_date(text):
    with pytest.raises(InvalidInput):
        parse_roc(text)


def test_a_date_before_the_roc_era_cannot_be_written():
    with pytest.raises(InvalidInput):
        roc_date(date(1911, 12, 31))


def test_dates_are_found_in_text_in_order_and_impossible_ones_skipped():
    text = "檢測日期 2026年3月2日，複測 115/03/05、2025-12-31；無效 99年13月1日；核發 中華民國114年7月1日"
    found = find_dates(text)
    assert found == [date(2026, 3, 2), date(2026, 3, 5), date(2025, 12, 31), date(2025, 7, 1)]


def test_normalisation_drops_nuls_and_spaces_between_cjk_but_keeps_latin_words():
    raw = "\x00專\x00案 \x00作\x00業\n\x00人\x00員　PLG-115  ABC\x00 def"
    assert normalize_text(raw) == "專案作業人員 PLG-115 ABC def"


def test_full_width_text_is_folded_to_ascii():
    assert normalize_text("ＰＬＧ－１１５") == "PLG-115"
    assert match_key("Ａb C") == "abc"


def test_an_empty_expectation_is_never_found():
    assert not contains(match_key("anything"), " \n")


def test_the_nul_before_each_character_is_not_garbled_but_replacement_characters_are():
    assert garbled_ratio("\x00保\x00密\x00切\x00結\x00書") == 0
    assert garbled_ratio("\ufffd\ufffd\ufffdab") == pytest.approx(0.6)
    assert garbled_ratio("\ue000\ue001 ok") == pytest.approx(0.5)
    assert garbled_ratio("") == 0


def test_the_form_number_pattern_is_anchored():
    assert re.fullmatch(forms.FORM_NUMBER_RE, "PLG-115-0A1B2C3D")
    assert not forms.FORM_NUMBER_RE.fullmatch("PLG-115-0a1b2c3d")


def test_the_second_page_quotes_the_rules_the_pledge_rests_on():
    # Through the probe: pypdf alone misreads glyph codes above 0xFF in fpdf2's
    # embedded CMap (see pdf_probe._declare_two_byte_cmaps); page 2 needs them.
    text = match_key(pdf_probe.probe(corpus.pledge())["text"])
    assert contains(text, forms.APPENDIX_TITLE)
    assert all(contains(text, item) for item in forms.REGULATION_EXCERPT)
