"""The CJK font, parsed once per process, for every PDF this project writes.

A Traditional Chinese font holds some 27,000 glyphs; fpdf2's ``add_font`` parses it again for each
document (about half a second) and its output step subsets the whole font again (as long again).  The
demo data alone writes some seventy PDFs.  :class:`CjkPdf` instead parses each font file once per
process into a prototype, gives each document a light copy of it (its own glyph map, the prototype's
read-only metrics), and before writing the file hands fpdf2 a small font built from only the glyphs the
document used (with the digits, for page numbers filled in while writing, and the components glyphs
are made of), which fpdf2 then subsets as usual.  The rendered
pages are the same; a test compares them pixel by pixel with fpdf2's own path.

Only TrueType outlines (``glyf``) take this path; a CFF font (Noto CJK) is added the usual way.  The
prototypes are shared between threads (the web app's sessions) under one lock, and never changed: a
document's small font is made from deep copies of the glyphs.
"""

from __future__ import annotations

import copy
import logging
import struct
import threading
from pathlib import Path

from fontTools.ttLib import TTFont, newTable
from fontTools.ttLib.tables._c_m_a_p import cmap_format_4, cmap_format_12
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

_LOCK = threading.Lock()
_PROTOTYPES: dict[tuple[str, int, float], TTFFont | None] = {}
# Simple glyphs with their true bounding box, by master font and name; code points by glyph name.
_BOUNDED: dict[tuple[int, str], object] = {}
_CODES: dict[int, dict[str, list[int]]] = {}
_COPIED_TABLES = ("head", "hhea", "OS/2", "name", "maxp")
_HINTING_TABLES = ("gasp", "cvt ", "fpgm", "prep")  # how the outlines are rasterised
_POST_FIELDS = (
    "italicAngle",
    "underlinePosition",
    "underlineThickness",
    "isFixedPitch",
    "minMemType42",
    "maxMemType42",
    "minMemType1",
    "maxMemType1",
)


class CjkPdf(FPDF):
    """An FPDF whose CJK font comes from the per-process prototype (see the module docstring)."""

    def add_cjk_font(self, family: str, path: Path, index: int = 0) -> None:
        """Register ``path`` (face ``index`` of a collection) as ``family``, regular style."""
        prototype = _prototype(Path(path), index)
        if prototype is None:  # not TrueType outlines: fpdf2's own path
            kwargs = {"collection_font_number": index} if str(path).lower().endswith(".ttc") else {}
            self.add_font(family, fname=str(path), **kwargs)
            return
        font = copy.copy(prototype)
        font.i = len(self.fonts) + 1
        font.fontkey = family.lower()
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font._hbfont = None
        font.subset = SubsetMap(font)
        self.fonts[font.fontkey] = font

    def output(self, *args, **kwargs):
        """The PDF, each prototype font swapped for a small font of the glyphs used first."""
        for font in self.fonts.values():
            if isinstance(font, TTFFont) and _is_prototype_font(font.ttfont):
                font.ttfont = _small_font(font.ttfont, font.subset.get_all_glyph_names())
        return super().output(*args, **kwargs)


def _prototype(path: Path, index: int) -> TTFFont | None:
    """The parsed font of ``path`` for this process, or ``None`` when it has no ``glyf`` table."""
    key = (str(path), index, path.stat().st_mtime)
    with _LOCK:
        if key not in _PROTOTYPES:
            # fontTools says it drops uming.ttc's bitmap (BDF) table when subsetting: harmless noise.
            logging.getLogger("fontTools.subset").setLevel(logging.ERROR)
            loader = FPDF()
            kwargs = {"collection_font_number": index} if str(path).lower().endswith(".ttc") else {}
            loader.add_font("prototype", fname=str(path), **kwargs)
            font = loader.fonts["prototype"]
            if "glyf" in font.ttfont:
                for tag in (*_COPIED_TABLES, "glyf", "hmtx", "post", "cmap"):
                    font.ttfont[tag]  # load now, not lazily from several threads later
                _PROTOTYPES[key] = font
            else:
                _PROTOTYPES[key] = None
        return _PROTOTYPES[key]


def _is_prototype_font(ttfont) -> bool:
    with _LOCK:
        return any(p is not None and p.ttfont is ttfont for p in _PROTOTYPES.values())


def _small_font(master: TTFont, names) -> TTFont:
    """A TrueType font of ``names`` (plus ``.notdef`` and composite components) copied from ``master``."""
    with _LOCK:
        glyf = master["glyf"]
        best = master.getBestCmap()  # cached by fontTools
        # The page-number aliases ({nb}) are filled in while the file is written, after this swap.
        digits = {best[ord(d)] for d in "0123456789" if ord(d) in best}
        # Glyphs 0-3 (.notdef, .null, CR, space) are the ones fpdf2's subsetting always keeps.
        keep = {*master.getGlyphOrder()[:4], *names, *digits}
        pending = list(keep)
        while pending:
            for component in glyf.glyphs[pending.pop()].getComponentNames(glyf):
                if component not in keep:
                    keep.add(component)
                    pending.append(component)
        order = sorted(keep, key=master.getGlyphID)
        # The glyphs are copied as they are, bounding boxes included: nothing to recalculate, and
        # recalculating would decode and re-encode every outline (most of the cost of writing).
        small = TTFont(recalcTimestamp=False, recalcBBoxes=False)
        small.setGlyphOrder(order)
        for tag in (*_COPIED_TABLES, *_HINTING_TABLES):
            if tag in master:
                small[tag] = copy.deepcopy(master[tag])
        small["post"] = _post(master["post"])
        small["glyf"] = _glyf(glyf, order)
        small["loca"] = newTable("loca")
        hmtx = newTable("hmtx")
        hmtx.metrics = {name: master["hmtx"][name] for name in order}
        small["hmtx"] = hmtx
        codes = _codes_by_name(master, best)
        small["cmap"] = _cmap({cp: n for n in keep for cp in codes.get(n, ())})
        _set_bounds(small)
    return small


def _codes_by_name(master: TTFont, best: dict[int, str]) -> dict[str, list[int]]:
    """Glyph name -> the code points mapped to it, made once per master font."""
    key = id(master)
    if key not in _CODES:
        codes: dict[str, list[int]] = {}
        for cp, name in best.items():
            codes.setdefault(name, []).append(cp)
        _CODES[key] = codes
    return _CODES[key]


def _set_bounds(small: TTFont) -> None:
    """The header values fontTools' ``maxp``/``hhea`` recalculation would give the glyphs kept (font
    bounding box, head flag bit 1 "lsb at xMin", side-bearing extremes), read from each glyph's header
    without decoding its outline."""
    head, hhea, metrics = small["head"], small["hhea"], small["hmtx"].metrics
    boxes = {name: box for name, box in _glyph_boxes(small["glyf"]) if box is not None}
    if boxes:
        head.xMin, head.yMin = min(b[0] for b in boxes.values()), min(b[1] for b in boxes.values())
        head.xMax, head.yMax = max(b[2] for b in boxes.values()), max(b[3] for b in boxes.values())
        widths = {name: box[2] - box[0] for name, box in boxes.items()}
        hhea.minLeftSideBearing = min(metrics[n][1] for n in widths)
        hhea.minRightSideBearing = min(metrics[n][0] - metrics[n][1] - w for n, w in widths.items())
        hhea.xMaxExtent = max(metrics[n][1] + w for n, w in widths.items())
    hhea.advanceWidthMax = max(advance for advance, _ in metrics.values())
    lsb_is_xmin = all(metrics[name][1] == box[0] for name, box in boxes.items())
    head.flags = head.flags | 0x2 if lsb_is_xmin else head.flags & ~0x2


def _glyph_boxes(glyf):
    """(name, (xMin, yMin, xMax, yMax) or None for a glyph without contours) for every glyph."""
    for name, glyph in glyf.glyphs.items():
        if hasattr(glyph, "data"):
            if len(glyph.data) < 10:
                yield name, None
                continue
            contours, *box = struct.unpack(">hhhhh", glyph.data[:10])
            yield name, tuple(box) if contours else None
        elif getattr(glyph, "numberOfContours", 0):
            yield name, (glyph.xMin, glyph.yMin, glyph.xMax, glyph.yMax)
        else:
            yield name, None


def _post(source):
    post = newTable("post")
    for field in _POST_FIELDS:
        setattr(post, field, getattr(source, field))
    post.formatType = 3.0  # no glyph names are needed in an embedded font
    return post


def _glyf(source, order: list[str]):
    table = newTable("glyf")
    table.glyphOrder = order
    table.glyphs = {}
    for name in order:
        # .glyphs, not source[name]: indexing the table would decode (and so change) the master glyph.
        glyph = copy.deepcopy(source.glyphs[name])
        if glyph.isComposite():
            glyph.expand(source)  # components by name, renumbered when the small font is written
        else:  # undecoded: only its bytes, which writing replaces and never changes in place
            glyph = copy.copy(_bounded(source, name))
        table.glyphs[name] = glyph
    return table


def _bounded(source, name: str):
    """The simple glyph ``name`` with its outline's true bounding box in its header, as fpdf2's own
    path writes it (it re-encodes every glyph; some fonts ship stale boxes), without re-encoding the
    outline; made once per glyph and process."""
    key = (id(source), name)
    if key not in _BOUNDED:
        glyph = copy.deepcopy(source.glyphs[name])
        _fix_bounds(glyph, source)
        _BOUNDED[key] = glyph
    return _BOUNDED[key]


def _fix_bounds(glyph, source) -> None:
    if len(getattr(glyph, "data", b"")) < 10 or struct.unpack(">h", glyph.data[:2])[0] <= 0:
        return
    decoded = copy.deepcopy(glyph)
    decoded.expand(source)
    decoded.recalcBounds(source)
    box = struct.pack(">hhhh", decoded.xMin, decoded.yMin, decoded.xMax, decoded.yMax)
    glyph.data = glyph.data[:2] + box + glyph.data[10:]


def _cmap(mapping: dict[int, str]):
    table = newTable("cmap")
    table.tableVersion = 0
    table.tables = []
    for platform, encoding in ((3, 1), (0, 3)):
        sub = cmap_format_4(4)
        sub.platformID, sub.platEncID, sub.language = platform, encoding, 0
        sub.cmap = {cp: name for cp, name in mapping.items() if cp <= 0xFFFF}
        table.tables.append(sub)
    if any(cp > 0xFFFF for cp in mapping):
        sub = cmap_format_12(12)
        sub.platformID, sub.platEncID, sub.language = 3, 10, 0
        sub.format, sub.reserved, sub.length, sub.nGroups = 12, 0, 0, 0
        sub.cmap = dict(mapping)
        table.tables.append(sub)
    return table
