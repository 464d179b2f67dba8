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


def add_table(
    pdf,
    heading: Sequence[str],
    rows: Sequence[Sequence[object]],
    widths: Sequence[float],
    *,
    line_height: float = 5.5,
    fill: tuple[int, int, int] = (225, 232, 240),
) -> None:
    """A table with ``heading`` repeated on every page; a row too tall for one page is split.

    fpdf2 refuses a row taller than a page (``ValueError: The row … is too high``), and stored
    text can be that long (2,000 characters of 因應措施).  Each cell is wrapped by character, as
    fpdf2 will draw it, and a row of more than :func:`_lines_per_part` lines continues in further
    rows marked 「（續）」, so writing never fails on stored data.
    """
    from fpdf.enums import WrapMode
    from fpdf.fonts import FontFace

    style = FontFace(emphasis="", fill_color=fill)  # the CJK font has no bold face
    limit = _lines_per_part(pdf, line_height)
    with pdf.table(
        col_widths=tuple(widths),
        width=sum(widths),
        line_height=line_height,
        align="LEFT",
        text_align="LEFT",
        headings_style=style,
        repeat_headings=1,
        wrapmode=WrapMode.CHAR,
    ) as grid:
        grid.row([str(h) for h in heading])
        for row in rows:
            for part in _split_row(pdf, [str(v) for v in row], widths, line_height, limit):
                grid.row(part)


def _lines_per_part(pdf, line_height: float) -> int:
    """Lines one row may take: half of what a page below its top margin holds, heading included."""
    usable = pdf.page_break_trigger - pdf.t_margin - 3 * line_height
    return max(3, int(usable / line_height) // 2)


def _split_row(pdf, cells: list[str], widths, line_height: float, limit: int) -> list[list[str]]:
    from fpdf.enums import WrapMode

    wrapped = [
        pdf.multi_cell(
            w=max(width - 1, 2),
            h=line_height,
            text=text,
            dry_run=True,
            output="LINES",
            wrapmode=WrapMode.CHAR,
        )
        or [""]
        for text, width in zip(cells, widths, strict=True)
    ]
    longest = max(len(lines) for lines in wrapped)
    if longest <= limit:
        return [cells]
    parts = []
    for start in range(0, longest, limit):
        part = ["\n".join(lines[start : start + limit]) for lines in wrapped]
        if start and not part[0]:
            part[0] = "（續）"
        parts.append(part)
    return parts
