"""Issue 15, finding 13: uploads that pass inspection but hurt later.

The attacks: an ordinary page drawing a 30000×30000 image (the reviewer's
preview took 14.7 s), a page box of five metres, and a PDF with a ZIP appended
after its %%EOF (accepted before).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest

from tests.evidence import corpus
from tracker.inspection import preview
from tracker.inspection.inspector import inspect_pdf
from tracker.inspection.preview import LONGEST_SIDE, MAX_IMAGE_PIXELS, render_preview
from tracker.inspection.reasons import ACCEPTED, NEEDS_REVIEW
from tracker.inspection.sandbox import Sandbox

SIDE = 30_000


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox()
    yield box
    box.close()


def giant_image_pdf() -> bytes:
    """A one-page PDF with text and a 30000×30000 1-bit image (112 MB inflated, ~110 KB stored)."""
    compressor, block = zlib.compressobj(9), b"\x00" * (1 << 20)
    packed = [compressor.compress(block) for _ in range(SIDE * SIDE // 8 >> 20)]
    packed.append(
        compressor.compress(b"\x00" * (SIDE * SIDE // 8 % (1 << 20))) + compressor.flush()
    )
    image = b"".join(packed)
    page = corpus.ASCII_PAGE + b" q 500 0 0 700 40 60 cm /Im1 Do Q"
    return corpus.raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> >>",
        corpus.stream(page),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 1 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
        % (SIDE, SIDE, len(image), image),
    )


def png_size(data: bytes) -> tuple[int, int]:
    return struct.unpack(">II", data[16:24])


def test_a_giant_image_is_counted_by_the_probe_and_never_rendered(sandbox, monkeypatch):
    data = giant_image_pdf()
    report = inspect_pdf(data, sandbox=sandbox).to_dict()
    assert report["verdict"] == ACCEPTED and report["largest_image_pixels"] == SIDE * SIDE
    started = []
    monkeypatch.setattr(preview.subprocess, "run", lambda *a, **k: started.append(a))
    shown = render_preview(data, report)
    assert shown.images == () and "百萬像素" in shown.note_zh
    assert started == []  # the renderer was not even started
    assert SIDE * SIDE > MAX_IMAGE_PIXELS


def test_a_page_box_of_five_metres_is_rendered_at_most_the_preview_size():
    page = corpus.raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400 14400] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        corpus.stream(corpus.ASCII_PAGE),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    )
    shown = render_preview(page, {"largest_image_pixels": 0})
    assert len(shown.images) == 1, shown.note_zh
    assert max(png_size(shown.images[0])) <= LONGEST_SIDE  # 20000 px at the old 100 dpi


def test_a_pdf_with_a_zip_appended_after_its_end_marker_needs_a_person(sandbox):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("payload.exe", b"MZ" + b"\x00" * 4000)
    polyglot = corpus.pledge() + archive.getvalue()
    assert zipfile.is_zipfile(io.BytesIO(polyglot))  # it opens as a ZIP too
    report = inspect_pdf(polyglot, sandbox=sandbox)
    assert report.verdict == NEEDS_REVIEW
    assert [r.code for r in report.reasons] == ["trailing_data"]
    assert report.trailing_bytes == len(archive.getvalue().rstrip(b"\x00"))  # its NUL tail aside
    clean = inspect_pdf(corpus.pledge() + b"\r\n\x00\x00\n", sandbox=sandbox)
    assert clean.verdict == ACCEPTED and clean.trailing_bytes == 0  # line ends and NULs are no data
