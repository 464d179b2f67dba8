"""Signed PDFs as agencies and vendors produce them, generated on the fly.

A certificate chain root -> intermediate -> person is made with
``cryptography`` (:func:`chain`); documents are signed with pyHanko
(:func:`sign`), encrypted with pypdf (:func:`encrypt`), and changed after
signing in the ways a PDF viewer or a forger would: a sticky note, a filled
form field, a replaced page, a countersignature, a document timestamp, an
LTV update (:func:`add_sticky_note`, :func:`fill_field`, ...).  Nothing is
committed: every file is built from these functions.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

ROOT_NAME = "Tracker Test Root CA"
OWNER_PASSWORD = "owner-secret"


@dataclass(frozen=True)
class Chain:
    """A root, an intermediate and a person's certificate with its key (DER/PEM bytes)."""

    root_pem: bytes
    root_der: bytes
    intermediate_der: bytes
    signer_cert_der: bytes
    signer_key_der: bytes
    tsa_cert_der: bytes
    tsa_key_der: bytes

    __test__ = False  # not a pytest test class


@cache
def chain(
    person: str = "王小明",
    *,
    root_name: str = ROOT_NAME,
    valid_from_days: int = -1,
    valid_until_days: int = 365,
) -> Chain:
    """Root -> intermediate -> ``person`` (valid from/until that many days from now) and a TSA.

    ``root_name`` other than the default makes a root of its own (a new key),
    which a trust folder holding the default root does not trust.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    now = datetime.now(UTC)
    root_key = _root_key(root_name)
    inter_key, person_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(2))
    tsa_key = rsa.generate_private_key(65537, 2048)  # pyHanko's test timestamper signs with RSA
    root = _root_certificate(root_name)
    inter = _issue(
        "Tracker Test Issuing CA", inter_key, root, root_key, now, (-3650, 3650), ca=True
    )
    person_cert = _issue(
        person, person_key, inter, inter_key, now, (valid_from_days, valid_until_days)
    )
    tsa = _issue("Tracker Test TSA", tsa_key, inter, inter_key, now, (-3650, 3650), tsa=True)
    der, pkcs8 = serialization.Encoding.DER, serialization.PrivateFormat.PKCS8
    no_password = serialization.NoEncryption()
    return Chain(
        root_pem=root.public_bytes(serialization.Encoding.PEM),
        root_der=root.public_bytes(der),
        intermediate_der=inter.public_bytes(der),
        signer_cert_der=person_cert.public_bytes(der),
        signer_key_der=person_key.private_bytes(der, pkcs8, no_password),
        tsa_cert_der=tsa.public_bytes(der),
        tsa_key_der=tsa_key.private_bytes(der, pkcs8, no_password),
    )


@cache
def _root_key(root_name: str):
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


@cache
def _root_certificate(root_name: str):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    key, now = _root_key(root_name), datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, root_name)])
    builder = _builder(name, name, key.public_key(), now, (-3650, 3650))
    builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    builder = builder.add_extension(_usage(ca=True), critical=True)
    return builder.add_extension(
        x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
    ).sign(key, hashes.SHA256())


def _issue(common_name, key, issuer, issuer_key, now, days, *, ca=False, tsa=False):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = _builder(name, issuer.subject, key.public_key(), now, days)
    builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    builder = builder.add_extension(_usage(ca=ca), critical=True)
    builder = builder.add_extension(
        x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
    ).add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
        critical=False,
    )
    if tsa:
        usage = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING])
        builder = builder.add_extension(usage, critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


def _builder(subject, issuer, public_key, now, days):
    from cryptography import x509

    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + timedelta(days=days[0]))
        .not_valid_after(now + timedelta(days=days[1]))
    )


def _usage(*, ca: bool):
    from cryptography import x509

    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,  # the X.509 nonRepudiation bit
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


# --- signing ------------------------------------------------------------------


def _signer(who: Chain):
    from asn1crypto import keys, x509
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    certificates = [x509.Certificate.load(who.intermediate_der)]
    return signers.SimpleSigner(
        signing_cert=x509.Certificate.load(who.signer_cert_der),
        signing_key=keys.PrivateKeyInfo.load(who.signer_key_der),
        cert_registry=SimpleCertificateStore.from_certs(certificates),
    )


def _writer(data: bytes, password: str | None):
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    if password is not None:
        writer.encrypt(password)
    return writer


def sign(
    data: bytes,
    who: Chain | None = None,
    field: str = "Signature1",
    *,
    password: str | None = None,
    certify: bool = False,
) -> bytes:
    """``data`` signed by ``who`` (default :func:`chain`) in a new invisible field.

    ``password`` unlocks an encrypted file for the incremental update (the
    update is encrypted like the rest); ``certify`` makes a certification
    signature that allows form filling only (DocMDP 2).
    """
    from pyhanko.sign import fields, signers

    meta = signers.PdfSignatureMetadata(
        field_name=field,
        certify=certify,
        docmdp_permissions=fields.MDPPerm.FILL_FORMS,
    )
    writer = _writer(data, password)
    return signers.sign_pdf(writer, meta, signer=_signer(who or chain())).getvalue()


def timestamp(data: bytes, who: Chain | None = None, *, password: str | None = None) -> bytes:
    """``data`` plus a document timestamp (a revision that only adds the timestamp)."""
    from asn1crypto import keys, x509
    from pyhanko.sign import timestamps
    from pyhanko.sign.signers.pdf_signer import PdfTimeStamper

    who = who or chain()
    stamper = timestamps.DummyTimeStamper(
        tsa_cert=x509.Certificate.load(who.tsa_cert_der),
        tsa_key=keys.PrivateKeyInfo.load(who.tsa_key_der),
        certs_to_embed=[x509.Certificate.load(who.intermediate_der)],
    )
    out = io.BytesIO()
    PdfTimeStamper(stamper).timestamp_pdf(_writer(data, password), "sha256", output=out)
    return out.getvalue()


def add_ltv_data(data: bytes, who: Chain | None = None) -> bytes:
    """``data`` plus a revision that only adds a document security store (LTV certificates)."""
    from asn1crypto import x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    who = who or chain()
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    contents = reader.embedded_signatures[0].pkcs7_content
    certificates = [x509.Certificate.load(d) for d in (who.intermediate_der, who.root_der)]
    writer = _writer(data, None)
    DocumentSecurityStore.supply_dss_in_writer(writer, contents, certs=certificates)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- changes after signing ---------------------------------------------------------


def _update(data: bytes, change, password: str | None = None) -> bytes:
    writer = _writer(data, password)
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def add_sticky_note(data: bytes, text: str = "請補件", *, page: int = 0, password=None) -> bytes:
    """``data`` plus an incremental update adding a /Text annotation (a comment) to ``page``."""
    from pyhanko.pdf_utils import generic

    def change(writer):
        page_ref = _page_ref(writer, page)
        page_obj = page_ref.get_object()
        note = generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Annot"),
                generic.NameObject("/Subtype"): generic.NameObject("/Text"),
                generic.NameObject("/Rect"): _rect(500, 760, 520, 780),
                generic.NameObject("/Contents"): generic.TextStringObject(text),
                generic.NameObject("/P"): page_ref,
            }
        )
        _append_annotation(writer, page_obj, writer.add_object(note))
        writer.update_container(page_obj)

    return _update(data, change, password)


def edit_notes(data: bytes, text: str) -> bytes:
    """``data`` plus an update that rewrites the text of every comment on page 1."""
    from pyhanko.pdf_utils import generic

    def change(writer):
        for ref in _page_ref(writer, 0).get_object().get("/Annots", []):
            note = ref.get_object()
            if note.get("/Subtype") == "/Text":
                note[generic.NameObject("/Contents")] = generic.TextStringObject(text)
                writer.update_container(note)

    return _update(data, change)


def remove_notes(data: bytes) -> bytes:
    """``data`` plus an update that takes every comment off page 1."""
    from pyhanko.pdf_utils import generic

    def change(writer):
        page_obj = _page_ref(writer, 0).get_object()
        kept = [
            page_obj["/Annots"].raw_get(i)
            for i in range(len(page_obj["/Annots"]))
            if page_obj["/Annots"][i].get("/Subtype") != "/Text"
        ]
        page_obj[generic.NameObject("/Annots")] = generic.ArrayObject(kept)
        writer.update_container(page_obj)

    return _update(data, change)


def add_empty_signature_field(data: bytes, name: str = "Signature2", *, visible=False) -> bytes:
    """``data`` plus an update that adds an unsigned signature field (for a later signer)."""
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field

    def change(writer):
        box = (300, 60, 520, 110) if visible else None
        append_signature_field(writer, SigFieldSpec(name, box=box))

    return _update(data, change)


def add_link(data: bytes, uri: str = "https://example.org/") -> bytes:
    """``data`` plus an update adding a web link annotation (not a comment: it acts)."""
    from pyhanko.pdf_utils import generic

    def change(writer):
        page_obj = _page_ref(writer, 0).get_object()
        action = generic.DictionaryObject(
            {
                generic.NameObject("/S"): generic.NameObject("/URI"),
                generic.NameObject("/URI"): generic.TextStringObject(uri),
            }
        )
        link = generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Annot"),
                generic.NameObject("/Subtype"): generic.NameObject("/Link"),
                generic.NameObject("/Rect"): _rect(72, 700, 300, 730),
                generic.NameObject("/A"): action,
            }
        )
        _append_annotation(writer, page_obj, writer.add_object(link))
        writer.update_container(page_obj)

    return _update(data, change)


def replace_page_content(data: bytes, text: bytes = b"forged", *, password=None) -> bytes:
    """``data`` plus an update whose first page shows other content."""
    from pyhanko.pdf_utils import generic

    def change(writer):
        page_obj = _page_ref(writer, 0).get_object()
        forged = generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 720 Td (%s) Tj ET" % text)
        page_obj[generic.NameObject("/Contents")] = writer.add_object(forged)
        writer.update_container(page_obj)

    return _update(data, change, password)


def fill_field(data: bytes, name: str = "remark", value: str = "已補正") -> bytes:
    """``data`` plus an update that sets the value (and appearance) of text field ``name``."""
    from pyhanko.pdf_utils import generic

    def change(writer):
        field = next(
            f.get_object()
            for f in writer.root["/AcroForm"]["/Fields"]
            if f.get_object().get("/T") == name
        )
        appearance = generic.StreamObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/XObject"),
                generic.NameObject("/Subtype"): generic.NameObject("/Form"),
                generic.NameObject("/BBox"): _rect(0, 0, 200, 20),
            },
            stream_data=b"/Tx BMC EMC",
        )
        field[generic.NameObject("/V")] = generic.TextStringObject(value)
        field[generic.NameObject("/AP")] = generic.DictionaryObject(
            {generic.NameObject("/N"): writer.add_object(appearance)}
        )
        writer.update_container(field)

    return _update(data, change)


def with_text_field(name: str = "remark") -> bytes:
    """A one-page Latin-text PDF with an empty text field ``name`` (a form to fill)."""
    from tests.evidence import corpus

    widget = (
        b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (%s) /Rect [72 600 272 620] "
        b"/P 3 0 R /F 4 /DA (/Helv 0 Tf 0 g) >>" % name.encode()
    )
    return corpus.text_page_pdf(
        catalog_extra=b"/AcroForm << /Fields [6 0 R] /DA (/Helv 0 Tf 0 g) >>",
        page_extra=b"/Annots [6 0 R]",
        more=(widget,),
    )


def _page_ref(writer, number: int):
    return writer.root["/Pages"]["/Kids"].raw_get(number)


def _append_annotation(writer, page_obj, ref) -> None:
    from pyhanko.pdf_utils import generic

    annots = page_obj.get("/Annots")
    if annots is None:
        page_obj[generic.NameObject("/Annots")] = generic.ArrayObject([ref])
        return
    annots = generic.ArrayObject(list(annots.get_object()))
    annots.append(ref)
    page_obj[generic.NameObject("/Annots")] = annots


def _rect(*numbers):
    from pyhanko.pdf_utils import generic

    return generic.ArrayObject(generic.FloatObject(n) for n in numbers)


def pypdf_update(data: bytes, change) -> bytes:
    """``data`` plus an incremental update written by pypdf after ``change(writer)``.

    pypdf writes every page it touches with the page tree's inherited
    /MediaBox copied in, as viewers and scripts built on it do.
    """
    import pypdf

    writer = pypdf.PdfWriter(io.BytesIO(data), incremental=True)
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pypdf_sticky_note(writer) -> None:
    from pypdf.annotations import Text

    writer.add_annotation(0, Text(text="請補正第二頁", rect=(50, 550, 200, 650)))


def pypdf_title(writer) -> None:
    writer.add_metadata({"/Title": "已歸檔"})


def pypdf_overlay(writer) -> None:
    """Stamps another page's content onto page 1 (a changed page)."""
    import pypdf

    from tests.evidence import corpus

    writer.pages[0].merge_page(pypdf.PdfReader(io.BytesIO(corpus.text_page_pdf())).pages[0])


def pypdf_fill(writer, name: str = "remark", value: str = "已補正") -> None:
    writer.update_page_form_field_values(writer.pages[0], {name: value})


# --- encryption -----------------------------------------------------------------


def encrypt(data: bytes, algorithm: str = "AES-256", user_password: str = "") -> bytes:
    """``data`` encrypted with pypdf: ``user_password`` "" locks editing only (owner password set).

    Printing stays allowed, everything else is denied; the reserved bits of
    /P are set, as the PDF standard requires of a writer.
    """
    import pypdf
    from pypdf.constants import UserAccessPermissions as Allowed

    denied = Allowed.MODIFY | Allowed.EXTRACT | Allowed.ADD_OR_MODIFY | Allowed.FILL_FORM_FIELDS
    denied |= Allowed.EXTRACT_TEXT_AND_GRAPHICS | Allowed.ASSEMBLE_DOC
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(data)))
    writer.encrypt(
        user_password=user_password,
        owner_password=OWNER_PASSWORD,
        algorithm=algorithm,
        permissions_flag=Allowed.all() & ~denied,
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pyhanko_encrypt(data: bytes, algorithm: str = "AES-256") -> bytes:
    """``data`` encrypted by pyHanko itself, owner password only, printing allowed.

    pyHanko's AES-256 adds an ISO/TS 32004 MAC (as its default); AES-128 and
    RC4-128 use the legacy handler, which needs the new file's ID.
    """
    from pyhanko.pdf_utils.crypt import StandardSecurityHandler
    from pyhanko.pdf_utils.crypt import StandardSecuritySettingsRevision as Revision
    from pyhanko.pdf_utils.crypt.permissions import StandardPermissions as Allowed
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import copy_into_new_writer

    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(data), strict=False))
    if algorithm == "AES-256":
        writer.encrypt(OWNER_PASSWORD, "", perms=Allowed.ALLOW_PRINTING)
    else:
        handler = StandardSecurityHandler.build_from_pw_legacy(
            Revision.RC4_OR_AES128,
            writer.document_id[0],
            OWNER_PASSWORD,
            "",
            use_aes128=algorithm == "AES-128",
            perms=Allowed.ALLOW_PRINTING | Allowed.TOLERATE_MISSING_PDF_MAC,
        )
        writer._assign_security_handler(handler)  # no public call for the legacy handlers
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
