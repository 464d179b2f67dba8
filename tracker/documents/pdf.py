"""Plain Traditional Chinese PDF documents (reports, audit records, demo files).

Uses the CJK font that :func:`tracker.documents.pledge.find_cjk_font` finds on the machine, parsed
once per process (:mod:`tracker.documents.cjkfont`); only the glyphs used are embedded, so the files
stay small and keep a text layer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from tracker.documents.pledge import find_cjk_font

FONT = "cjk"


def new_pdf(title: str = ""):
    """An A4 fpdf2 document with the CJK font registered as ``"cjk"`` and automatic page breaks."""
    from tracker.documents.cjkfont import CjkPdf

    # fontTools says on stderr that it drops uming.ttc's bitmap (BDF) table when
    # subsetting: harmless for a vector PDF, and noise on every report.
    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)
    path, index = find_cjk_font()
    pdf = CjkPdf(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_cjk_font(FONT, path, index)
    pdf.set_font(FONT, size=11)
    if title:
        pdf.set_title(title)
    return pdf


def simple_document(title: str, lines: Sequence[str], footer: str = "") -> bytes:
    """A one-column document: a centred title, then one paragraph per line."""
    pdf = new_pdf(title)
    pdf.add_page()
    pdf.set_font(FONT, size=18)
    pdf.cell(0, 14, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=12)
    for line in lines:
        pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    if footer:
        pdf.set_y(-25)
        pdf.set_font(FONT, size=9)
        pdf.cell(0, 8, footer, align="C")
    return bytes(pdf.output())
