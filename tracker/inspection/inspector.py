"""Inspection (自動檢核): the automatic checks run on every uploaded evidence file.

:func:`inspect_pdf` answers one question for the IT office: can this file be
accepted as it is, must a person look at it, or is it unusable?

* ``rejected`` (無法受理): empty, too big, not a PDF by its bytes, truncated,
  unparseable, over a time/memory/structure limit while parsing, locked by a
  password (encryption that only restricts editing is no obstacle), no
  pages, a signature whose signed bytes are broken, content changed after
  signing (a later revision that is more than comments, form filling,
  signatures, timestamps or LTV data), or changes a certifying signature
  does not permit.
* ``needs_review`` (需人工判讀): no text layer (a scan), garbled text, an
  expected text, a test the contract's protection level requires or a date
  missing, active content (JavaScript, launch, embedded file, form
  submission), data after the final ``%%EOF`` (a file appended to the PDF),
  comments added or form fields filled after signing, or an
  intact signature whose signer is not trusted (expired, not yet valid,
  revoked, revocation unknown, no trusted root, not valid for signing) or
  that could not be evaluated.
* ``accepted`` (自動檢核通過): every check passed.

The bytes are sniffed here (size, ``%PDF-``, ``%%EOF``); everything that parses
them runs in the sandbox (:mod:`tracker.inspection.sandbox`, :mod:`tracker.inspection.probe`).
What a kind of evidence must contain comes from the catalogue
(:class:`~tracker.compliance.catalogue.EvidenceKind`); the reason codes and
messages are in :mod:`tracker.inspection.reasons`.  This module decides the
verdict from the facts the probe returns.
"""

from __future__ import annotations

import base64
import hashlib
import stat
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tracker.compliance.catalogue import Catalogue
from tracker.compliance.loader import default_catalogue
from tracker.core.dates import find_dates
from tracker.core.errors import InvalidInput
from tracker.core.text import contains, match_key, visible_length
from tracker.documents.labels import PROTECTION_LEVEL
from tracker.documents.pledge import find_form_numbers
from tracker.domain.enums import ProtectionLevel
from tracker.inspection.reasons import TRUST_REASONS, Reason, limit_reason, reason, verdict_of
from tracker.inspection.sandbox import Sandbox, default_sandbox
from tracker.inspection.signatures import SIGNATURE_KEYS, load_trust_roots

MAX_BYTES = 20 * 1024 * 1024
MAGIC_WINDOW = 1024  # %PDF- may follow some junk; readers accept it within 1 KiB
MIN_TEXT_CHARS = 1  # any visible character is a text layer; a scan has none
GARBLED_RATIO = 0.2  # more unreadable characters than this share: garbled
EXCERPT_CHARS = 500
MAX_FIELD_NAMES = 5  # form field names quoted in a reason


@dataclass(frozen=True)
class InspectionReport:
    """The outcome of :func:`inspect_pdf`; ``to_dict()`` is the JSON contract.

    ``pages`` is ``None`` when the file was rejected before it was parsed (or
    is locked).  ``encrypted``: the file has an encryption dictionary;
    ``password_required``: it does not open without a password (only that
    refuses it).  ``signatures``: one dict per signature in signing order
    (keys :data:`~tracker.inspection.signatures.SIGNATURE_KEYS`);
    ``signature_intact`` is ``True`` only when every signature's signed bytes
    are intact, ``signature_trusted`` when every signature is also trusted,
    both ``None`` when the file is unsigned (or no signature could be
    evaluated); ``signer`` is the first signer.  ``protection_level`` is the
    contract's protection level the file was checked for (``None``: not given);
    the catalogue's texts for it are in ``keywords_found``/``keywords_missing``.
    """

    verdict: str
    reasons: tuple[Reason, ...]
    sha256: str
    bytes: int
    pages: int | None = None
    encrypted: bool = False
    password_required: bool = False
    text_layer: bool = False
    keywords_found: tuple[str, ...] = ()
    keywords_missing: tuple[str, ...] = ()
    risky_features: tuple[str, ...] = ()
    signature_fields: int = 0
    signed: bool = False
    signature_intact: bool | None = None
    signature_trusted: bool | None = None
    signer: str | None = None
    signatures: tuple[dict, ...] = ()
    form_numbers: tuple[str, ...] = ()
    dates_found: tuple[str, ...] = ()
    garbled_text: bool = False
    text_excerpt: str = ""
    kind: str | None = None
    protection_level: str | None = None
    trailing_bytes: int = 0
    largest_image_pixels: int = 0

    def to_dict(self) -> dict:
        """Plain JSON-ready dict: tuples become lists, reasons become objects."""
        out = asdict(self)
        return {
            key: list(value) if isinstance(value, tuple) else value for key, value in out.items()
        }


@dataclass(frozen=True)
class Expectations:
    """What a file must contain: ``texts`` (the kind's, then the caller's),
    ``level_tests`` (those the protection level requires), a ``date``, and
    for each text the wordings that count as it."""

    texts: tuple[str, ...] = ()
    level_tests: tuple[str, ...] = ()
    date: bool = False
    wordings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    level: ProtectionLevel | None = None

    @property
    def all_texts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.texts, *self.level_tests)))


def expectations(
    kind: str | None,
    expect: Sequence[str] = (),
    *,
    level: ProtectionLevel | str | None = None,
    catalogue: Catalogue | None = None,
) -> Expectations:
    """What a file of ``kind`` must contain, from the catalogue, plus ``expect``.

    ``level`` (a contract's system protection level) adds the texts the
    catalogue requires at that level; ``None`` adds none.  Raises
    InvalidInput for an unknown kind or level, or a blank expected text.
    """
    kinds = (catalogue or default_catalogue()).evidence_kinds
    if kind is not None and kind not in kinds:
        raise InvalidInput(
            f"未知的佐證資料類別：{kind}（可用：{', '.join(kinds)}）",
            f"unknown evidence kind {kind!r}; known kinds: {', '.join(kinds)}",
        )
    if any(not text.strip() for text in expect):
        raise InvalidInput("預期文字不可空白", "an expected text must not be blank")
    level = _level(level)
    entry = kinds.get(kind)
    if entry is None:
        return Expectations(tuple(dict.fromkeys(t.strip() for t in expect)), level=level)
    texts = dict.fromkeys([*entry.texts, *(text.strip() for text in expect)])
    tests = tuple(t for t in entry.texts_for(level) if t not in texts)
    wordings = {t: entry.wordings_of(t) for t in (*texts, *tests)}
    return Expectations(tuple(texts), tests, entry.date, wordings, level)


def _level(level: ProtectionLevel | str | None) -> ProtectionLevel | None:
    if level is None:
        return None
    try:
        return ProtectionLevel(level)
    except ValueError:
        allowed = ", ".join(p.value for p in ProtectionLevel)
        raise InvalidInput(
            f"未知的防護需求等級：{level}（可用：普、中、高）",
            f"unknown protection level {level!r}; known levels: {allowed}",
        ) from None


def inspect_pdf(
    data: bytes,
    *,
    expect: Sequence[str] = (),
    kind: str | None = None,
    level: ProtectionLevel | str | None = None,
    trust_dir: Path | None = None,
    max_bytes: int = MAX_BYTES,
    timeout_s: float = 10.0,
    memory_mb: int = 512,
    sandbox: Sandbox | None = None,
    catalogue: Catalogue | None = None,
) -> InspectionReport:
    """Run every automatic check on ``data`` and return the report.

    ``level`` is the protection level of the contract's system: the
    catalogue's texts for that level are required (see :func:`expectations`).
    Never raises because of the file's content (a hostile file gives a
    ``rejected`` report).  Raises InvalidInput for a bad ``kind``/``expect``/
    ``level`` and SandboxError if the sandbox itself cannot run.
    """
    wanted = expectations(kind, expect, level=level, catalogue=catalogue)
    base = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "kind": kind}
    base["protection_level"] = wanted.level.value if wanted.level else None
    base["trailing_bytes"] = trailing_bytes(data)
    early = _sniff(data, max_bytes)
    if early:
        return _report(base, [early])
    roots = [base64.b64encode(root).decode() for root in load_trust_roots(trust_dir)]
    outcome = (sandbox or default_sandbox()).run(
        "probe", data, {"trust_roots": roots}, timeout_s=timeout_s, memory_mb=memory_mb
    )
    if outcome.failure:
        return _report(base, [limit_reason(outcome.failure)])
    if "error" in outcome.result:
        return _report(base, [_probe_error(outcome.result)])
    return _judge(base, outcome.result, wanted)


def inspect_file(path: Path, *, max_bytes: int = MAX_BYTES, **options) -> InspectionReport:
    """:func:`inspect_pdf` on a file, without reading an oversized file into memory.

    Raises InvalidInput if ``path`` is missing, not a regular file or unreadable.
    """
    wanted = expectations(
        options.get("kind"),
        options.get("expect", ()),
        level=options.get("level"),
        catalogue=options.get("catalogue"),
    )
    path = Path(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise InvalidInput(f"不是一般檔案：{path}", f"not a regular file: {path}")
        with path.open("rb") as handle:
            if info.st_size > max_bytes:
                return _oversized(handle, max_bytes, options.get("kind"), wanted.level)
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise InvalidInput(f"找不到檔案：{path}", f"no such file: {path}") from None
    except OSError as exc:
        raise InvalidInput(f"無法讀取檔案：{path}", f"cannot read {path}: {exc.strerror}") from None
    return inspect_pdf(data, max_bytes=max_bytes, **options)


def _oversized(handle, max_bytes: int, kind: str | None, level) -> InspectionReport:
    digest, size = hashlib.sha256(), 0
    while chunk := handle.read(1 << 20):
        digest.update(chunk)
        size += len(chunk)
    base = {"sha256": digest.hexdigest(), "bytes": size, "kind": kind}
    base["protection_level"] = level.value if level else None
    return _report(base, [reason("too_large", size=size, limit=max_bytes)])


def _sniff(data: bytes, max_bytes: int) -> Reason | None:
    """The checks made on raw bytes, in order: size, emptiness, magic, end marker."""
    if len(data) > max_bytes:
        return reason("too_large", size=len(data), limit=max_bytes)
    if not data.strip():
        return reason("empty")
    if b"%PDF-" not in data[:MAGIC_WINDOW]:
        return reason("not_pdf")
    if b"%%EOF" not in data:
        return reason("truncated")
    return None


def trailing_bytes(data: bytes) -> int:
    """Bytes after the final ``%%EOF`` other than line ends, blanks and NULs (0 without one):
    readers ignore them, so they can carry another file (a ZIP after the PDF)."""
    end = data.rfind(b"%%EOF")
    return 0 if end < 0 else len(data[end + 5 :].strip(b"\r\n\t \x00\x0c"))


def _judge(base: dict, facts: dict, wanted: Expectations) -> InspectionReport:
    text = facts.get("text", "")
    key = match_key(text)
    found = tuple(
        t for t in wanted.all_texts if any(contains(key, w) for w in wanted.wordings.get(t, (t,)))
    )
    signatures = tuple(
        {name: entry.get(name) for name in SIGNATURE_KEYS} for entry in facts.get("signatures", ())
    )
    fields = {
        "pages": facts.get("pages"),
        "encrypted": bool(facts.get("encrypted")),
        "password_required": bool(facts.get("password_required")),
        "text_layer": visible_length(text) >= MIN_TEXT_CHARS,
        "keywords_found": found,
        "keywords_missing": tuple(t for t in wanted.all_texts if t not in found),
        "risky_features": tuple(facts.get("risky_features", ())),
        "signature_fields": int(facts.get("signature_fields", 0)),
        "signed": bool(facts.get("signed")),
        "signature_intact": facts.get("signature_intact"),
        "signature_trusted": facts.get("signature_trusted"),
        "signer": facts.get("signer"),
        "signatures": signatures,
        "form_numbers": tuple(find_form_numbers(text)),
        "dates_found": tuple(d.isoformat() for d in find_dates(text)),
        "garbled_text": facts.get("garbled_ratio", 0.0) > GARBLED_RATIO,
        "text_excerpt": text[:EXCERPT_CHARS],
        "largest_image_pixels": int(facts.get("largest_image_pixels") or 0),
    }
    reasons = _rules(fields, wanted, facts.get("signatures", ()))
    if base["trailing_bytes"]:
        reasons.append(reason("trailing_data", size=base["trailing_bytes"]))
    return _report(base | fields, reasons)


def _report(fields: dict, reasons: list[Reason]) -> InspectionReport:
    return InspectionReport(verdict=verdict_of(reasons), reasons=tuple(reasons), **fields)


def _probe_error(facts: dict) -> Reason:
    detail = facts.get("detail", "")
    if facts["error"] != "limit":
        return reason("unreadable", detail=detail)
    if detail.startswith("TextLimitReached"):
        return limit_reason("text")
    return limit_reason("memory" if detail.startswith("MemoryError") else "structure")


def _rules(f: dict, wanted: Expectations, signatures: Sequence[dict]) -> list[Reason]:
    """The verdict rules over the facts, rejections first."""
    if f["password_required"]:
        return [reason("encrypted")]
    if not f["pages"]:
        return [reason("no_pages")]
    reasons = _signature_rejections(signatures)
    if not f["text_layer"]:
        reasons.append(reason("no_text_layer"))
    elif f["garbled_text"]:
        reasons.append(reason("garbled_text"))
    else:
        reasons += _content_reasons(f, wanted)
    if f["risky_features"]:
        reasons.append(reason("risky_features", features=", ".join(f["risky_features"])))
    if f["signed"] and (f["signature_intact"] is None or not signatures):
        reasons.append(reason("signature_unverifiable"))
    return reasons + _signature_doubts(signatures)


def _content_reasons(f: dict, wanted: Expectations) -> list[Reason]:
    reasons = []
    missing = [t for t in wanted.texts if t in f["keywords_missing"]]
    if missing:
        reasons.append(reason("expected_text_missing", texts="、".join(missing)))
    tests = [t for t in wanted.level_tests if t in f["keywords_missing"]]
    if tests:
        level = wanted.level
        reasons.append(
            reason(
                "required_test_missing",
                level_zh=PROTECTION_LEVEL[level],
                level_en=level.value,
                tests="、".join(tests),
            )
        )
    if wanted.date and not f["dates_found"]:
        reasons.append(reason("date_missing"))
    return reasons


def _signature_rejections(signatures: Sequence[dict]) -> list[Reason]:
    """Broken signatures, content changed after signing, changes a certifier forbade."""
    intact = [s for s in signatures if s.get("intact")]
    groups = {
        "signature_broken": [s for s in signatures if s.get("intact") is False],
        "content_changed_after_signing": [s for s in intact if s.get("modification") == "other"],
        "changes_not_permitted": [
            s for s in intact if s.get("modification") != "other" and s.get("permitted") is False
        ],
    }
    return [reason(code, signers=_signers(group)) for code, group in groups.items() if group]


def _signature_doubts(signatures: Sequence[dict]) -> list[Reason]:
    """What a person must look at: comments or form filling after signing, trust problems."""
    intact = [s for s in signatures if s.get("intact")]
    reasons = []
    noted = [s for s in intact if s.get("modification") == "annotations"]
    if noted:
        reasons.append(reason("annotations_after_signing", signers=_signers(noted)))
    filled = [s for s in intact if s.get("modification") == "form_filling"]
    if filled:
        names = sorted({n for s in filled for n in s.get("filled_fields", ())})
        shown = "、".join(f"「{n}」" for n in names[:MAX_FIELD_NAMES]) or "（未具名）"
        reasons.append(reason("form_filled_after_signing", fields=shown, signers=_signers(filled)))
    for problem, code in TRUST_REASONS.items():
        group = [s for s in intact if s.get("trust_problem") == problem]
        if group:
            reasons.append(reason(code, signers=_signers(group)))
    return reasons


def _signers(signatures: Sequence[dict]) -> str:
    """The signers' names for a message (the field's name where the signer is unknown)."""
    names = [s.get("signer") or s.get("field") or "?" for s in signatures]
    return "、".join(dict.fromkeys(names))
