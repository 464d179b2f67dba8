"""Read one untrusted PDF and report plain facts about it.

This is the only code that parses uploaded PDFs, and it runs only inside the
sandbox worker (:mod:`tracker.inspection.sandbox`), which bounds wall time, CPU and
address space.  Within the worker pypdf's own limits (decompressed size, page
tree depth, parsing work) are tightened in :data:`PYPDF_LIMITS` so that most
hostile files fail fast with a clear cause instead of running into the
sandbox's limits.  The facts returned are JSON-ready; the verdict is decided
by :mod:`tracker.inspection.inspector`, not here.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator, Sequence
from io import BytesIO

import pypdf
from pypdf.errors import LimitReachedError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject

from tracker.core.text import garbled_ratio, normalize_text
from tracker.inspection import signatures

TEXT_LIMIT_CHARS = 2_000_000  # characters (and string bytes shown) that make a text bomb
MAX_TEXT_PAGES = 200  # text of later pages is not read: evidence is short
MAX_OBJECTS = 200_000  # objects looked at for risky features
MAX_WALK_DEPTH = 32  # nesting of direct objects looked into
_MB = 1024 * 1024
PYPDF_LIMITS = {
    "maximum_declared_stream_length": 64 * _MB,
    "array_based_stream_maximum_output_length": 64 * _MB,
    "zlib_maximum_output_length": 64 * _MB,
    "lzw_maximum_output_length": 64 * _MB,
    "run_length_maximum_output_length": 64 * _MB,
    "brotli_maximum_output_length": 64 * _MB,
    "jbig2_maximum_output_length": 64 * _MB,
    "image_maximum_buffer_size": 64 * _MB,
    "stream_decoding_work_maximum_length": 128 * _MB,
    "page_tree_maximum_depth": 64,
    "page_tree_maximum_entries": 50_000,
    "outline_maximum_entries": 20_000,
    "form_fields_maximum_entries": 20_000,
    "xform_maximum_invocations_per_extraction": 1_000,
    "jbig2dec_binary": None,  # never start an external decoder from the sandbox
}
# /S action types that make a document do something by itself.
ACTION_FEATURES = {
    "/JavaScript": "javascript",
    "/Launch": "launch_action",
    "/SubmitForm": "submit_form",
    "/ImportData": "submit_form",
}
SIGNATURE_MARKERS = ("/ByteRange", "/SigFlags")
TEXT_OPERATORS = (b"Tj", b"TJ", b"'", b'"')
CODESPACE = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>(?=[^<>]*endcodespacerange)")


class TextLimitReached(Exception):
    """More text than :data:`TEXT_LIMIT_CHARS`: a text-extraction bomb."""


def probe(data: bytes, trust_roots: Sequence[bytes] = ()) -> dict:
    """Facts about ``data``: pages, encryption, text, risky features, signatures.

    ``encrypted`` says the file has an encryption dictionary,
    ``password_required`` that it does not open with the empty user password
    (a file encrypted only against editing is unlocked and read like any
    other, its signatures included).

    Never raises for bad input: a file pypdf cannot read gives
    ``{"error": "unreadable", ...}`` and one that trips a parsing limit (pypdf's
    limits, recursion depth, text size) gives ``{"error": "limit", ...}``.
    """
    try:
        with pypdf.apply_configuration(**PYPDF_LIMITS):
            return _probe(data, trust_roots)
    except (LimitReachedError, RecursionError, TextLimitReached, MemoryError) as exc:
        return {"error": "limit", "detail": _describe(exc)}
    except Exception as exc:  # strict parsing raises anything from KeyError to UnicodeDecodeError
        return {"error": "unreadable", "detail": _describe(exc)}


def _probe(data: bytes, trust_roots: Sequence[bytes]) -> dict:
    reader = pypdf.PdfReader(BytesIO(data), strict=False)
    encrypted = reader.is_encrypted  # the trailer has an /Encrypt dictionary
    if encrypted and not _opens_without_password(reader):
        pages = _page_count_or_none(reader)
        return {"encrypted": True, "password_required": True, "pages": pages}
    pages = len(reader.pages)
    _declare_two_byte_cmaps(reader)
    raw = _extract_text(reader)
    features, signature_markers, pixels = _scan_objects(reader)  # cheap now: objects are cached
    facts = {
        "encrypted": encrypted,
        "password_required": False,
        "pages": pages,
        "text": normalize_text(raw),
        "garbled_ratio": round(garbled_ratio(raw), 4),
        "risky_features": sorted(features),
        "signature_fields": 0,
        "signed": False,
        "largest_image_pixels": pixels,  # the preview refuses giant images (inspection.preview)
    }
    if signature_markers:
        facts.update(signatures.inspect_signatures(data, trust_roots))
    return facts


def _opens_without_password(reader) -> bool:
    """True for files encrypted only against editing (an empty user password)."""
    try:
        return bool(reader.decrypt(""))
    except Exception:  # an unknown security handler: as locked as a password
        return False


def _page_count_or_none(reader) -> int | None:
    try:
        return len(reader.pages)
    except Exception:  # the page tree of a locked file may be unreadable too
        return None


def _extract_text(reader) -> str:
    """Text of the first MAX_TEXT_PAGES pages; raises TextLimitReached on a bomb.

    The size is counted on the strings the content streams *show* (before
    pypdf assembles them), because pypdf joins a line's text by repeated
    concatenation: a bomb on one line would be slow long before it is big.
    """
    shown = 0

    def count(operator, operands, *_):
        nonlocal shown
        if operator in TEXT_OPERATORS:
            shown += sum(map(len, _strings_in(operands)))
            if shown > TEXT_LIMIT_CHARS:  # bytes shown: 2 MB of text, 1M two-byte characters
                raise TextLimitReached(f"more than {TEXT_LIMIT_CHARS} characters of text")

    parts = []
    for page in reader.pages[:MAX_TEXT_PAGES]:
        parts.append(page.extract_text(visitor_operand_before=count))
    text = "\n".join(parts)
    if len(text) > TEXT_LIMIT_CHARS:
        raise TextLimitReached(f"more than {TEXT_LIMIT_CHARS} characters of text")
    return text


def _declare_two_byte_cmaps(reader) -> None:
    """Tell pypdf that Type0 fonts with an embedded two-byte CMap use two-byte codes.

    pypdf 7 reads an embedded CMap given as a Type0 font's /Encoding as a
    one-byte encoding: every code 0x00XX then comes out as a NUL plus a
    character, and codes from 0x0100 on as two wrong characters.  fpdf2 writes
    exactly such fonts for CFF-based CJK fonts (Noto CJK), so our own forms
    are affected.  When the CMap's code space is two bytes wide and the font
    has a ToUnicode map (which is what extraction then uses), /Identity-H
    states the code width correctly.  Only the in-memory copy is changed.
    """
    for page in reader.pages[:MAX_TEXT_PAGES]:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for font in fonts.values() if isinstance(fonts, DictionaryObject) else ():
            font = font.get_object()
            if isinstance(font, DictionaryObject) and _has_two_byte_cmap(font):
                font[NameObject("/Encoding")] = NameObject("/Identity-H")


def _has_two_byte_cmap(font: DictionaryObject) -> bool:
    encoding = font.get("/Encoding")
    encoding = encoding.get_object() if encoding is not None else None
    if font.get("/Subtype") != "/Type0" or "/ToUnicode" not in font:
        return False
    if not isinstance(encoding, StreamObject):
        return False
    ranges = CODESPACE.findall(encoding.get_data()[:4096])
    return bool(ranges) and all(len(low) == len(high) == 4 for low, high in ranges)


def _strings_in(operands) -> list:
    strings = []
    for operand in operands:
        if isinstance(operand, ArrayObject):
            strings += [item for item in operand if isinstance(item, str | bytes)]
        elif isinstance(operand, str | bytes):
            strings.append(operand)
    return strings


def _scan_objects(reader) -> tuple[set[str], bool, int]:
    """Risky features, whether anything looks like a signature, and the largest image's
    width × height (as its dictionary declares it; nothing is decoded), over all objects.

    Every object in the cross-reference table is looked at (including those in
    object streams), not only the ones reachable from the pages, because a
    viewer acts on the catalogue, annotations and name trees as well.
    """
    features: set[str] = set()
    markers, pixels = False, 0
    for obj in _all_objects(reader):
        for node in _direct_dicts(obj, MAX_WALK_DEPTH):
            features |= _features_of(node)
            markers = markers or _looks_signed(node)
            pixels = max(pixels, _image_pixels(node))
    return features, markers, pixels


def _image_pixels(node: DictionaryObject) -> int:
    if node.get("/Subtype") != "/Image":
        return 0
    width, height = node.get("/Width"), node.get("/Height")
    return int(width) * int(height) if isinstance(width, int) and isinstance(height, int) else 0


def _all_objects(reader) -> Iterator[object]:
    refs = [(num, gen) for gen, table in reader.xref.items() for num in table]
    refs += [(num, 0) for num in reader.xref_objStm]
    for num, gen in refs[:MAX_OBJECTS]:
        yield reader.get_object(IndirectObject(num, gen, reader))


def _direct_dicts(obj, depth: int) -> Iterator[DictionaryObject]:
    """Dictionaries in ``obj`` and nested in it directly (references not followed)."""
    if depth <= 0:
        return
    if isinstance(obj, DictionaryObject):
        yield obj
        children = obj.values()
    elif isinstance(obj, ArrayObject):
        children = obj
    else:
        return
    for child in children:
        if isinstance(child, DictionaryObject | ArrayObject):
            yield from _direct_dicts(child, depth - 1)


def _features_of(node: DictionaryObject) -> set[str]:
    found = set()
    action = node.get("/S")
    action = action if isinstance(action, str) else None
    if action in ACTION_FEATURES:
        found.add(ACTION_FEATURES[action])
    if "/JS" in node or "/JavaScript" in node:
        found.add("javascript")
    if "/EmbeddedFiles" in node or "/EF" in node or node.get("/Type") == "/EmbeddedFile":
        found.add("embedded_file")
    if node.get("/Subtype") == "/FileAttachment":
        found.add("embedded_file")
    if "/OpenAction" in node and _is_active_open_action(node["/OpenAction"]):
        found.add("open_action")
    return found


def _is_active_open_action(value) -> bool:
    """An /OpenAction that does more than show a page (a plain destination is benign)."""
    value = value.get_object() if isinstance(value, IndirectObject) else value
    return isinstance(value, DictionaryObject) and value.get("/S") not in (None, "/GoTo")


def _looks_signed(node: DictionaryObject) -> bool:
    if node.get("/FT") == "/Sig" or node.get("/Type") in ("/Sig", "/DocTimeStamp"):
        return True
    return any(key in node for key in SIGNATURE_MARKERS)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def warm_up() -> None:
    """Run one probe on a small built-in PDF so that lazily loaded code is loaded.

    The sandbox calls this in the zygote (imports shared by every worker)
    and again in each pre-forked worker (private copies of the pages a probe
    touches), so that an upload does not pay for either.  The signature
    check's modules (pyHanko, the certificate validator, the difference
    policy) are imported too: importing them costs a signed upload about
    0.3 s in a fresh worker.
    """
    signatures.warm_up()
    probe(sample_pdf())


def sample_pdf() -> bytes:
    """A one-page PDF shaped like the forms we print: a two-byte CID font, a ToUnicode map."""
    chars = "專案作業人員保密切結書立切結書人王小明民國年月日"
    cmap = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /S def "
    cmap += b"1 begincodespacerange <0000> <FFFF> endcodespacerange %d beginbfchar " % len(chars)
    cmap += b" ".join(b"<%04X> <%04X>" % (i + 1, ord(c)) for i, c in enumerate(chars))
    cmap += b" endbfchar endcmap end end"
    line = b"".join(b"%c%c" % divmod(i + 1, 256) for i in range(len(chars)))
    text = b"BT /F1 12 Tf ET BT 72 %d Td (" + line + b") Tj ET\n"  # codes 1..24 need no escaping
    content = b"BT /F2 9 Tf 400 780 Td (PLG-115-0A1B2C3D) Tj ET\n" + b"".join(
        text % (700 - 20 * n) for n in range(8)
    )
    return _assemble(
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /FitH null] >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 6 0 R "
        b"/Resources << /Font << /F1 5 0 R /F2 4 0 R >> >> >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /S /Encoding /Identity-H "
        b"/DescendantFonts [<< /Type /Font /Subtype /CIDFontType0 /BaseFont /S /DW 1000 "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
        b"/FontDescriptor << /Type /FontDescriptor /FontName /S /Flags 4 /Ascent 1151 "
        b"/Descent -286 /FontBBox [-997 -1049 2929 1809] /ItalicAngle 0 /StemV 87 >> "
        b"/W [1 [1000 1000 1000] 4 10 1000 14 [557 471 558]] >>] /ToUnicode 7 0 R >>",
        _flate_stream(content),
        _flate_stream(cmap),
    )


def _flate_stream(payload: bytes) -> bytes:
    packed = zlib.compress(payload)
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(packed), packed)


def _assemble(*bodies: bytes) -> bytes:
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(bodies) + 1,
        xref,
    )
    return bytes(out)
