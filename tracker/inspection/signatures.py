"""Digital signatures in uploaded PDFs, checked with pyHanko.

pyHanko is used because it validates PDF signatures the way a PDF viewer
should: it checks that the signed byte ranges still hash to the signed
digest, verifies the CMS signature, builds the certificate path to the
trust roots we give it, and runs a *modification analysis* on incremental
updates appended after signing (a later revision that changes page content
is a tampered document even though the signed bytes are untouched).

:func:`load_trust_roots` runs in the application process (it only reads
certificate files).  :func:`inspect_signatures` parses hostile input and is
called only inside the sandbox worker; pyHanko is imported there lazily so the
application process never pays for it (the sandbox zygote pre-imports it).

Key usage decision: pyHanko by default accepts only signer certificates with
the ``nonRepudiation`` key usage.  We accept ``digitalSignature`` *or*
``nonRepudiation``: both are the usages RFC 5280 §4.2.1.3 allows for
document signatures, and certificates issued to organisations and servers
often carry only ``digitalSignature``.  Trust still requires a path to a
root the agency installed in the trust folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO
from pathlib import Path

TRUST_SUFFIXES = (".pem", ".crt", ".cer", ".der")
ACCEPTED_KEY_USAGES = frozenset({"digital_signature", "non_repudiation"})


def load_trust_roots(trust_dir: Path | None) -> list[bytes]:
    """DER bytes of every certificate in ``trust_dir`` (GRCA, MOICA roots...).

    Reads ``.pem``/``.crt``/``.cer``/``.der`` files; a PEM file may hold
    several certificates.  ``None`` or a missing folder means no roots, so no
    signature will be reported as trusted.  Files that are not certificates
    are skipped: a stray file must not make every inspection fail, and
    skipping can only make the result *less* trusting.
    """
    if trust_dir is None or not Path(trust_dir).is_dir():
        return []
    roots: list[bytes] = []
    for path in sorted(Path(trust_dir).iterdir()):
        if path.suffix.lower() in TRUST_SUFFIXES and path.is_file():
            roots.extend(_certificates_in(path.read_bytes()))
    return roots


def _certificates_in(blob: bytes) -> list[bytes]:
    from asn1crypto import pem, x509

    if pem.detect(blob):
        ders = [der for kind, _, der in pem.unarmor(blob, multiple=True) if kind == "CERTIFICATE"]
    else:
        ders = [blob]
    valid = []
    for der in ders:
        try:
            x509.Certificate.load(der).native  # noqa: B018 - forces a full parse
        except Exception:  # not a certificate: skip, see load_trust_roots
            continue
        valid.append(der)
    return valid


def inspect_signatures(data: bytes, trust_roots: Sequence[bytes] = ()) -> dict:
    """Facts about the signature fields and signatures in a PDF.

    Returns ``signature_fields`` (int), ``signed`` (any field holds a
    signature), ``signature_intact`` (``None`` when unsigned or when no
    signature could be evaluated; ``False`` if any signature's digest or CMS
    signature fails or a later revision modified the document beyond form
    filling), ``signature_trusted`` (every signature intact and chaining to a
    trust root, ``None`` when unsigned), ``signer`` (common name on the first
    signature) and ``signature_problems`` (short English notes).

    Run only inside the sandbox: it parses untrusted input.  Raises whatever
    pyHanko raises when the file cannot be read at all.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    reader = PdfFileReader(BytesIO(data), strict=False)
    fields = list(enumerate_sig_fields(reader))
    signatures = list(reader.embedded_regular_signatures)
    facts = {
        "signature_fields": len(fields),
        "signed": bool(signatures) or any(value is not None for _, value, _ in fields),
        "signature_intact": None,
        "signature_trusted": None,
        "signer": None,
        "signature_problems": [],
    }
    if signatures:
        facts.update(_evaluate(signatures, trust_roots))
    return facts


def _evaluate(signatures: list, trust_roots: Sequence[bytes]) -> dict:
    from asn1crypto import x509

    roots = [x509.Certificate.load(der) for der in trust_roots]
    results = [_evaluate_one(signature, roots) for signature in signatures]
    evaluated = [r for r in results if r["intact"] is not None]
    problems = [r["problem"] for r in results if r["problem"]]
    if not evaluated:
        return {"signature_problems": problems}
    intact = all(r["intact"] for r in evaluated)
    return {
        "signature_intact": intact,
        "signature_trusted": intact
        and len(evaluated) == len(results)
        and all(r["trusted"] for r in results),
        "signer": next((r["signer"] for r in results if r["signer"]), None),
        "signature_problems": problems,
    }


def _evaluate_one(signature, roots: list) -> dict:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko_certvalidator import ValidationContext

    context = ValidationContext(trust_roots=roots, allow_fetching=False)  # no network, ever
    usage = KeyUsageConstraints(key_usage=set(ACCEPTED_KEY_USAGES), match_all_key_usages=False)
    try:
        status = validate_pdf_signature(signature, context, key_usage_settings=usage)
    except Exception as exc:  # hostile CMS can fail anywhere; the sandbox bounds the rest
        return {"intact": None, "trusted": False, "signer": None, "problem": _describe(exc)}
    intact = bool(status.intact and status.valid and status.docmdp_ok)
    return {
        "intact": intact,
        "trusted": intact and bool(status.trusted),
        "signer": _common_name(status.signing_cert),
        "problem": None if intact else _integrity_problem(status),
    }


def _integrity_problem(status) -> str:
    if not status.intact:
        return "signed bytes were changed after signing (digest mismatch)"
    if not status.valid:
        return "the cryptographic signature does not verify"
    level = status.modification_level
    return f"document modified after signing ({getattr(level, 'name', 'unknown').lower()})"


def _common_name(certificate) -> str | None:
    try:
        name = certificate.subject.native.get("common_name")
    except Exception:  # a malformed subject: report no name rather than fail
        return None
    return str(name) if name else None


def _describe(exc: Exception) -> str:
    message = getattr(exc, "failure_message", None) or str(exc) or type(exc).__name__
    return f"signature could not be evaluated: {message}"[:300]
