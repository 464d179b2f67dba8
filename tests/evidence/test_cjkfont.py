"""The CJK font parsed once per process draws the same pages as fpdf2's own font handling."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pypdf
import pytest
from fpdf import FPDF

from tracker.documents import cjkfont
from tracker.documents.cjkfont import CjkPdf
from tracker.documents.pledge import find_cjk_font

TEXT = (
    "立切結書人 郭欣怡 受 北辰資訊股份有限公司 指派，執行「社會福利資訊系統維運案」："
    "ABC abc 0123456789 ，。、「」（）——…《》 𠀀 Ω"
)


def document(pdf: FPDF, add_font) -> bytes:
    path, index = find_cjk_font()
    add_font(pdf, path, index)
    pdf.add_page()
    pdf.set_font("cjk", size=14)
    pdf.multi_cell(0, 9, TEXT * 4)
    pdf.cell(0, 9, "第 {nb} 頁", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def fpdf_own(pdf, path, index):
    kwargs = {"collection_font_number": index} if str(path).endswith(".ttc") else {}
    pdf.add_font("cjk", fname=str(path), **kwargs)


def shared(pdf, path, index):
    pdf.add_cjk_font("cjk", path, index)


def pages_as_png(data: bytes, folder: Path, name: str) -> list[bytes]:
    source = folder / f"{name}.pdf"
    source.write_bytes(data)
    subprocess.run(["pdftoppm", "-png", "-r", "72", str(source), str(folder / name)], check=True)
    return [p.read_bytes() for p in sorted(folder.glob(f"{name}*.png"))]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) missing")
def test_a_page_drawn_with_the_shared_font_is_pixel_for_pixel_fpdf2s_own(tmp_path):
    own = document(FPDF(), fpdf_own)
    fast = document(CjkPdf(), shared)
    assert pages_as_png(fast, tmp_path, "fast") == pages_as_png(own, tmp_path, "own")


def test_the_text_layer_is_kept_and_only_the_glyphs_used_are_embedded():
    first = document(CjkPdf(), shared)
    text = pypdf.PdfReader(io.BytesIO(first)).pages[0].extract_text()
    assert "郭欣怡" in text and "社會福利資訊系統維運案" in text
    assert len(first) < 100_000


def test_documents_after_the_first_reuse_the_parsed_font_and_leave_it_unchanged():
    path, index = find_cjk_font()
    document(CjkPdf(), shared)
    prototype = cjkfont._prototype(Path(path), index)
    before = {name: glyph.__dict__.keys() for name, glyph in prototype.ttfont["glyf"].glyphs.items()}
    second = document(CjkPdf(), shared)
    assert cjkfont._prototype(Path(path), index) is prototype
    after = {name: glyph.__dict__.keys() for name, glyph in prototype.ttfont["glyf"].glyphs.items()}
    assert before == after
    assert "郭欣怡" in pypdf.PdfReader(io.BytesIO(second)).pages[0].extract_text()
