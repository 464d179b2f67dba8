"""Test PDFs, good and hostile, generated on the fly (no committed binaries).

Hostile files are written byte by byte with :func:`raw_pdf` so that they are
exactly as malformed as intended; good ones come from :mod:`tracker.documents.pledge`
(fpdf2), pypdf and pyHanko, the same tools a vendor's software might use.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache

STAFF, VENDOR, CONTRACT = "王小明", "大同資訊股份有限公司", "社會福利資訊系統維運案"
FORM_NUMBER = "PLG-115-0A1B2C3D"
ISSUED_ON = date(2026, 3, 2)
# The fields ``evidence check --json`` promises (the acceptance tests rely on them).
CONTRACT_FIELDS = frozenset(
    [
        "verdict",
        "reasons",
        "sha256",
        "bytes",
        "pages",
        "encrypted",
        "text_layer",
        "keywords_found",
        "keywords_missing",
        "risky_features",
        "signature_fields",
        "signed",
        "signature_intact",
        "signer",
        "signatures",
        "password_required",
    ]
)
ASCII_PAGE = b"BT /F1 12 Tf 72 720 Td (Confidentiality pledge signed by the project staff) Tj ET"


# --- building blocks -------------------------------------------------------


def raw_pdf(*bodies: bytes, root: int = 1) -> bytes:
    """A PDF whose objects 1..n are ``bodies``, with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\n" % (len(bodies) + 1, root)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def stream(payload: bytes, extra: bytes = b"", *, compress: bool = True) -> bytes:
    """A stream object body, Flate-compressed unless told otherwise."""
    if compress:
        payload, extra = zlib.compress(payload, 9), extra + b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(payload), extra, payload)


def text_page_pdf(
    *, content: bytes | None = None, catalog_extra: bytes = b"", page_extra: bytes = b"", more=()
) -> bytes:
    """One page of Latin text (objects 1-5) plus ``more`` objects from number 6 on.

    ``content`` replaces the page's content stream object (default: ASCII_PAGE).
    """
    return raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R %s >>" % catalog_extra,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> %s >>" % page_extra,
        content or stream(ASCII_PAGE),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *more,
    )


# --- good files -------------------------------------------------------------


@cache
def pledge() -> bytes:
    """The pre-filled pledge form for STAFF/VENDOR/CONTRACT (rendered once per run)."""
    from tracker.documents.pledge import render_pledge_form

    return render_pledge_form(
        form_number=FORM_NUMBER,
        staff_name=STAFF,
        vendor_name=VENDOR,
        contract_title=CONTRACT,
        agency_name="臺北市政府社會局",
        issued_on=ISSUED_ON,
    )


def image_only_scan() -> bytes:
    """A page holding nothing but a picture, as a scanner produces."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    picture = Image.new("L", (600, 800), 255)
    draw = ImageDraw.Draw(picture)
    for y in range(80, 720, 30):
        draw.line((60, y, 540, y), fill=0, width=3)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.image(io.BytesIO(buffer.getvalue()), x=10, y=10, w=190)
    return bytes(pdf.output())


def certificate_pdf(test_date: str) -> bytes:
    """A security test certificate whose only date is ``test_date`` (Latin text)."""
    text = b"BT /F1 12 Tf 72 720 Td (Security test certificate. Test date: %s) Tj ET"
    return text_page_pdf(content=stream(text % test_date.encode()))


def security_certificate(
    *tests: str, test_date: str = "民國 115 年 3 月 2 日", system: str = CONTRACT
) -> bytes:
    """A Chinese security test certificate naming ``tests`` (e.g. 弱點掃描) and a test date."""
    from tracker.documents.pdf import simple_document

    lines = [f"受測系統：{system}", f"檢測日期：{test_date}"]
    lines += [f"檢測項目：{name}，結果：已完成並複測通過" for name in tests]
    return simple_document("資通系統安全性檢測證明", lines, footer="檢測單位：安碁資訊")


# --- not PDFs and broken PDFs ------------------------------------------------


def png_bytes() -> bytes:
    """A valid 1x1 PNG (what a phone photo upload renamed to .pdf looks like)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def zip_bytes() -> bytes:
    """A ZIP archive (e.g. an .docx) renamed to .pdf."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document>保密切結書</w:document>")
    return buffer.getvalue()


def truncated() -> bytes:
    """The first half of the pledge, as an interrupted upload leaves it."""
    data = pledge()
    return data[: len(data) // 2]


def garbage_with_header() -> bytes:
    """Starts like a PDF and ends like one; nothing in between is."""
    return b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def encrypted(user_password: str = "secret") -> bytes:
    """The pledge, encrypted with a password needed to open it (AES-256)."""
    import pypdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pledge())))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def no_pages() -> bytes:
    return raw_pdf(b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>")


# --- hostile files ------------------------------------------------------------


def cyclic_page_tree() -> bytes:
    """A page tree whose /Kids contains the tree itself."""
    return raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
        b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>",
    )


def deep_nesting(depth: int = 100_000) -> bytes:
    """An array nested ``depth`` levels deep in the catalogue."""
    nested = b"[" * depth + b"]" * depth
    return text_page_pdf(catalog_extra=b"/Deep " + nested)


def flate_bomb(mib: int = 2048) -> bytes:
    """A page content stream of ~2 MB that inflates to ``mib`` MiB (2 GiB) of zeros.

    Deflate output after a full flush does not depend on earlier data, so one
    compressed MiB block is repeated instead of compressing gigabytes.
    """
    compressor = zlib.compressobj(9)
    block = b"\x00" * (1 << 20)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    middle = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH) == middle
    last = compressor.flush()
    payload = first + middle * (mib - 2) + last
    return text_page_pdf(content=stream(payload, b" /Filter /FlateDecode", compress=False))


def text_bomb(characters: int = 2_200_000) -> bytes:
    """A small file whose text layer is ``characters`` long (repeated Tj operators)."""
    run = b"(" + b"A" * 1000 + b") Tj\n"
    content = b"BT /F1 12 Tf 72 720 Td\n" + run * (characters // 1000) + b"ET"
    return text_page_pdf(content=stream(content))


def with_javascript() -> bytes:
    return text_page_pdf(catalog_extra=b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>")


def with_launch_action() -> bytes:
    return text_page_pdf(
        catalog_extra=b"/OpenAction << /S /Launch /F (C:\\\\Windows\\\\calc.exe) >>"
    )


def with_embedded_file() -> bytes:
    names = b"/Names << /EmbeddedFiles << /Names [(payload.exe) 6 0 R] >> >>"
    filespec = b"<< /Type /Filespec /F (payload.exe) /EF << /F 7 0 R >> >>"
    return text_page_pdf(
        catalog_extra=names, more=(filespec, stream(b"MZ...", b" /Type /EmbeddedFile"))
    )


def with_submit_form() -> bytes:
    widget = (
        b"<< /Type /Annot /Subtype /Widget /FT /Btn /T (send) /Rect [72 600 200 630] "
        b"/A << /S /SubmitForm /F << /FS /URL /F (https://example.invalid/collect) >> >> >>"
    )
    return text_page_pdf(
        catalog_extra=b"/AcroForm << /Fields [6 0 R] >>",
        page_extra=b"/Annots [6 0 R]",
        more=(widget,),
    )


def javascript_in_object_stream() -> bytes:
    """An /OpenAction JavaScript dictionary stored compressed in an object stream."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.writer import PdfFileWriter

    writer = PdfFileWriter(stream_xrefs=True)
    action = generic.DictionaryObject(
        {
            generic.NameObject("/S"): generic.NameObject("/JavaScript"),
            generic.NameObject("/JS"): generic.TextStringObject("app.alert(1)"),
        }
    )
    ref = writer.add_object(action, obj_stream=writer.prepare_object_stream())
    writer.root[generic.NameObject("/OpenAction")] = ref
    box = generic.ArrayObject(generic.NumberObject(n) for n in (0, 0, 595, 842))
    page = {
        generic.NameObject("/Type"): generic.NameObject("/Page"),
        generic.NameObject("/MediaBox"): box,
    }
    writer.insert_page(generic.DictionaryObject(page))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def with_link() -> bytes:
    """A plain web link: reported, but not active content."""
    link = b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 730] /A << /S /URI /URI (https://example.org) >> >>"
    return text_page_pdf(page_extra=b"/Annots [6 0 R]", more=(link,))


# --- signatures -----------------------------------------------------------------


@dataclass(frozen=True)
class TestPki:
    """A throw-away CA and a signer certificate issued by it (PEM/DER bytes)."""

    ca_pem: bytes
    signer_cert_der: bytes
    signer_key_der: bytes
    ca_der: bytes

    __test__ = False  # not a pytest test class


@cache
def test_pki(signer_name: str = STAFF, *, non_repudiation: bool = True) -> TestPki:
    """CA + signer (digitalSignature, and nonRepudiation unless told not), valid for a year."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC)
    ca_key, signer_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tracker Test Root CA")])
    signer_subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, signer_name)])

    def builder(subject, issuer, key):
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365))
        )

    ca = (
        builder(ca_name, ca_name, ca_key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    signer = (
        builder(signer_subject, ca_name, signer_key)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False, non_repudiation=non_repudiation), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    der = serialization.Encoding.DER
    return TestPki(
        ca_pem=ca.public_bytes(serialization.Encoding.PEM),
        signer_cert_der=signer.public_bytes(der),
        signer_key_der=signer_key.private_bytes(
            der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        ca_der=ca.public_bytes(der),
    )


def _key_usage(*, cert_sign: bool, non_repudiation: bool = False):
    from cryptography import x509

    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=non_repudiation,  # the X.509 nonRepudiation bit
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def signed(data: bytes, pki: TestPki) -> bytes:
    """``data`` signed with pyHanko (PAdES, invisible signature field 'Signature1')."""
    from asn1crypto import keys, x509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    signer = signers.SimpleSigner(
        signing_cert=x509.Certificate.load(pki.signer_cert_der),
        signing_key=keys.PrivateKeyInfo.load(pki.signer_key_der),
        cert_registry=SimpleCertificateStore.from_certs([x509.Certificate.load(pki.ca_der)]),
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    meta = signers.PdfSignatureMetadata(field_name="Signature1")
    return signers.sign_pdf(writer, meta, signer=signer).getvalue()


def tampered(signed_pdf: bytes) -> bytes:
    """The signed file with one byte changed inside the signed range (the title)."""
    marker = b"nia-compliance-tracker"
    assert signed_pdf.count(marker) == 1
    return signed_pdf.replace(marker, b"nia-compliance-trackex")


def modified_after_signing(signed_pdf: bytes) -> bytes:
    """The signed file plus an incremental update that replaces the page content."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(signed_pdf), strict=False)
    page_ref = writer.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    forged = generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 720 Td (forged) Tj ET")
    page["/Contents"] = writer.add_object(forged)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def with_empty_signature_field(data: bytes) -> bytes:
    """``data`` with one signature field that nobody has signed."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field

    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    append_signature_field(writer, SigFieldSpec("Signature1", box=(300, 60, 520, 110)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
