"""Digital signatures in uploaded PDFs, checked with pyHanko.

pyHanko is used because it validates PDF signatures the way a PDF viewer
should: it checks that the signed byte ranges still hash to the signed
digest, verifies the CMS signature, builds the certificate path to the
trust roots we give it, and runs a *difference analysis* on incremental
updates appended after signing (:mod:`tracker.inspection.diffpolicy`): a
later revision that only adds a timestamp or a countersignature is harmless,
one that adds comments or fills a form field leaves the signed content as it
was, and one that changes a page is a changed document even though the
signed bytes are untouched.

Every signature is reported (:func:`inspect_signatures`), each with what
changed after it and, when its signer is not trusted, why: the certificate
expired, is not yet valid, was revoked, its revocation could not be checked,
it does not chain to a trusted root, or it is not valid for signing.

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


MODIFICATIONS = ("none", "lta_updates", "form_filling", "annotations", "other")
TRUST_PROBLEMS = (
    "expired",
    "not_yet_valid",
    "revoked",
    "revocation_unknown",
    "untrusted_root",
    "invalid_certificate",
)
SIGNATURE_KEYS = (
    "field",
    "signer",
    "signed_at",
    "intact",
    "trusted",
    "trust_problem",
    "covers_whole_file",
    "modification",
)


def inspect_signatures(data: bytes, trust_roots: Sequence[bytes] = ()) -> dict:
    """Facts about the signature fields and every signature in a PDF.

    Returns ``signature_fields`` (int), ``signed`` (a field holds a
    signature), ``signatures`` (one dict per signature in signing order, keys
    :data:`SIGNATURE_KEYS` plus ``permitted``, ``False`` when a certifying
    signature forbids the changes made after it, and ``filled_fields``, the
    form fields filled in after it) and the summary:
    ``signature_intact`` (``True`` only when every signature's signed bytes
    are intact; ``False`` if any is broken; ``None`` when unsigned or when
    some signature could not be evaluated and none is broken),
    ``signature_trusted`` (every signature intact and trusted; ``None`` when
    unsigned), ``signer`` (the first signer's common name) and
    ``signature_problems`` (short English notes).

    A file encrypted against editing only is unlocked with the empty user
    password first.  A file pyHanko cannot read at all is reported as signed
    with no signature evaluated (a person must look), never as unreadable:
    pypdf has read it already.  Run only inside the sandbox.
    """
    try:
        reader, fields = _open(data)
    except Exception as exc:  # pyHanko is stricter than pypdf; hostile input fails anywhere
        return _unreadable(_describe(exc))
    if reader is None:
        return _unreadable("signature could not be evaluated: the file could not be unlocked")
    embedded = list(reader.embedded_regular_signatures)
    signed_fields = {signature.field_name for signature in reader.embedded_signatures}
    facts = {
        "signature_fields": len(fields),
        "signed": bool(embedded) or any(value is not None for _, value, _ in fields),
        "signatures": [],
        "signature_intact": None,
        "signature_trusted": None,
        "signer": None,
        "signature_problems": [],
    }
    if embedded:
        facts.update(_evaluate(embedded, trust_roots, signed_fields))
    return facts


def _open(data: bytes):
    """pyHanko's reader (unlocked with the empty password) and the signature fields;
    ``(None, [])`` for a file that does not open without a password."""
    from pyhanko.pdf_utils.crypt import AuthStatus
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    reader = PdfFileReader(BytesIO(data), strict=False)
    if reader.encrypted and reader.decrypt("").status == AuthStatus.FAILED:
        return None, []
    return reader, list(enumerate_sig_fields(reader))


def _unreadable(problem: str) -> dict:
    return {
        "signature_fields": 0,
        "signed": True,
        "signatures": [],
        "signature_intact": None,
        "signature_trusted": None,
        "signer": None,
        "signature_problems": [problem],
    }


def _evaluate(embedded: list, trust_roots: Sequence[bytes], signed_fields: set[str]) -> dict:
    from asn1crypto import x509

    roots = [x509.Certificate.load(der) for der in trust_roots]
    results = [_evaluate_one(signature, roots, signed_fields) for signature in embedded]
    states = [r["intact"] for r in results]
    intact = False if False in states else None if None in states else True
    return {
        "signatures": results,
        "signature_intact": intact,
        "signature_trusted": all(r["intact"] and r["trusted"] for r in results),
        "signer": results[0]["signer"],
        "signature_problems": [p for r in results if (p := r.pop("problem"))],
    }


def _evaluate_one(signature, roots: list, signed_fields: set[str]) -> dict:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko_certvalidator import ValidationContext

    from tracker.inspection.diffpolicy import DIFF_POLICY

    context = ValidationContext(trust_roots=roots, allow_fetching=False)  # no network, ever
    usage = KeyUsageConstraints(key_usage=set(ACCEPTED_KEY_USAGES), match_all_key_usages=False)
    try:
        status = validate_pdf_signature(
            signature, context, diff_policy=DIFF_POLICY, key_usage_settings=usage
        )
    except Exception as exc:  # hostile CMS can fail anywhere; the sandbox bounds the rest
        return _not_evaluated(signature, _describe(exc))
    intact = bool(status.intact and status.valid)
    problem = _trust_problem(status) if intact else None
    return {
        "field": _field_name(signature),
        "signer": _common_name(status.signing_cert),
        "signed_at": _signed_at(status),
        "intact": intact,
        "trusted": intact and problem is None and bool(status.trusted),
        "trust_problem": problem,
        "covers_whole_file": _covers_whole_file(status),
        "modification": _modification(status, signed_fields),
        "permitted": status.docmdp_ok is not False,
        "filled_fields": _filled_fields(status, signed_fields),
        "problem": None if intact else _integrity_problem(status),
    }


def _not_evaluated(signature, problem: str) -> dict:
    return {
        "field": _field_name(signature),
        "signer": None,
        "signed_at": None,
        "intact": None,
        "trusted": False,
        "trust_problem": None,
        "covers_whole_file": None,
        "modification": None,
        "permitted": True,
        "filled_fields": [],
        "problem": problem,
    }


def _integrity_problem(status) -> str:
    if not status.intact:
        return "signed bytes were changed after signing (digest mismatch)"
    return "the cryptographic signature does not verify"


def _modification(status, signed_fields: set[str]) -> str | None:
    """pyHanko's modification level as a stable word; filling in nothing but
    later signatures' fields counts with timestamps and LTV data (harmless)."""
    from pyhanko.sign.diff_analysis import DiffResult, ModificationLevel

    level = status.modification_level
    if level is None:
        return None
    result = status.diff_result
    only_signed = isinstance(result, DiffResult) and result.changed_form_fields <= signed_fields
    if level == ModificationLevel.FORM_FILLING and only_signed:
        level = ModificationLevel.LTA_UPDATES
    return level.name.lower()


def _filled_fields(status, signed_fields: set[str]) -> list[str]:
    """Names of the form fields other than signatures filled in after this signature."""
    from pyhanko.sign.diff_analysis import DiffResult

    result = status.diff_result
    if not isinstance(result, DiffResult):
        return []
    return sorted(str(name) for name in result.changed_form_fields - signed_fields)[:20]


def _covers_whole_file(status) -> bool | None:
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    if status.coverage is None:
        return None
    return status.coverage == SignatureCoverageLevel.ENTIRE_FILE


def _trust_problem(status) -> str | None:
    """Why an intact signature is not trusted, as one of :data:`TRUST_PROBLEMS`.

    Revocation is named first, then the signing certificate's own validity
    period at the validation time (an expired certificate that also lacks a
    trusted root is reported as expired: adding roots would not help), then
    pyHanko's AdES sub-indication.
    """
    if status.trusted:
        return None
    indication = getattr(status.trust_problem_indic, "name", None)
    if status.revoked or indication in ("REVOKED", "REVOKED_NO_POE", "REVOKED_CA_NO_POE"):
        return "revoked"
    window = _validity_problem(status.signing_cert, status.validation_time)
    if window:
        return window
    return _BY_INDICATION.get(indication, "invalid_certificate")


# pyHanko's AdES sub-indications (by name, so that pyHanko is not imported here).
_BY_INDICATION = {
    "NO_CERTIFICATE_CHAIN_FOUND": "untrusted_root",
    "OUT_OF_BOUNDS_NO_POE": "expired",
    "OUT_OF_BOUNDS_NOT_REVOKED": "expired",
    "EXPIRED": "expired",
    "NOT_YET_VALID": "not_yet_valid",
    "TRY_LATER": "revocation_unknown",
    "REVOCATION_OUT_OF_BOUNDS_NO_POE": "revocation_unknown",
}


def _validity_problem(certificate, moment) -> str | None:
    from datetime import UTC, datetime

    moment = moment or datetime.now(UTC)
    try:
        validity = certificate["tbs_certificate"]["validity"]
        not_before = validity["not_before"].native
        not_after = validity["not_after"].native
    except Exception:  # a malformed certificate: pyHanko's indication decides
        return None
    if moment < not_before:
        return "not_yet_valid"
    if moment > not_after:
        return "expired"
    return None


def _signed_at(status) -> str | None:
    """The signing time the signature states, else its timestamp's (ISO 8601)."""
    moment = status.signer_reported_dt
    if moment is None and status.timestamp_validity is not None:
        moment = status.timestamp_validity.timestamp
    return moment.isoformat() if moment else None


def _field_name(signature) -> str | None:
    try:
        return str(signature.field_name)
    except Exception:  # a field without a usable name
        return None


def _common_name(certificate) -> str | None:
    try:
        name = certificate.subject.native.get("common_name")
    except Exception:  # a malformed subject: report no name rather than fail
        return None
    return str(name) if name else None


def warm_up() -> None:
    """Import what :func:`inspect_signatures` needs (the sandbox's zygote calls this)."""
    import pyhanko.sign.validation  # noqa: F401
    import pyhanko_certvalidator  # noqa: F401

    import tracker.inspection.diffpolicy  # noqa: F401


def _describe(exc: Exception) -> str:
    message = getattr(exc, "failure_message", None) or str(exc) or type(exc).__name__
    return f"signature could not be evaluated: {message}"[:300]
