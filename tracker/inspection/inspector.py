"""Inspection (自動檢核): the automatic checks run on every uploaded evidence file.

:func:`inspect_pdf` answers one question for the IT office: can this file be
accepted as it is, must a person look at it, or is it unusable?

* ``rejected`` (無法受理): empty, too big, not a PDF by its bytes, truncated,
  unparseable, over a time/memory/structure limit while parsing, password
  protected, no pages, or signed but the signature is broken.
* ``needs_review`` (需人工判讀): no text layer (a scan), garbled text, an
  expected text or date missing, active content (JavaScript, launch,
  embedded file, form submission), data after the final ``%%EOF`` (a file
  appended to the PDF), or a signature that is intact but not trusted or
  that could not be evaluated.
* ``accepted`` (自動檢核通過): every check passed.

The bytes are sniffed here (size, ``%PDF-``, ``%%EOF``); everything that parses
them runs in the sandbox (:mod:`tracker.inspection.sandbox`, :mod:`tracker.inspection.probe`).
This module decides the verdict from the facts the probe returns.
"""

from __future__ import annotations

import base64
import hashlib
import stat
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from tracker.core.dates import find_dates
from tracker.core.errors import InvalidInput
from tracker.core.text import contains, match_key, visible_length
from tracker.documents.pledge import find_form_numbers
from tracker.inspection.sandbox import Sandbox, default_sandbox
from tracker.inspection.signatures import load_trust_roots

MAX_BYTES = 20 * 1024 * 1024
MAGIC_WINDOW = 1024  # %PDF- may follow some junk; readers accept it within 1 KiB
MIN_TEXT_CHARS = 1  # any visible character is a text layer; a scan has none
GARBLED_RATIO = 0.2  # more unreadable characters than this share: garbled
EXCERPT_CHARS = 500

ACCEPTED, NEEDS_REVIEW, REJECTED = "accepted", "needs_review", "rejected"

# What each evidence kind is expected to contain.  "texts": phrases that must
# appear (form titles, matched after normalisation); "date": some date must
# appear.  Kinds without a fixed form title expect nothing beyond the general
# checks.  Ids are the glossary's; a catalogue may later provide this table.
KIND_EXPECTATIONS: dict[str, dict] = {
    "staff_pledge": {"texts": ("保密切結書",)},
    "confidentiality_clause": {"texts": ("保密",)},
    "suitability_check": {"texts": ("適任",)},
    "security_test_certificate": {"texts": (), "date": True},
    "security_measures": {"texts": ()},
    "dedicated_pc_checklist": {"texts": ("專用電腦",)},
    "account_removal_record": {"texts": ("帳號",)},
    "incident_report": {"texts": ("通報",)},
    "account_application": {"texts": ("申請表",)},
    "proxy_query_form": {"texts": ("代查",)},
    "audit_record": {"texts": ("抽查",)},
}
EVIDENCE_KINDS = tuple(KIND_EXPECTATIONS)

# Reason code -> (verdict it forces, zh-TW, English); templates take details.
_R, _N = REJECTED, NEEDS_REVIEW
# fmt: off
REASONS: dict[str, tuple[str, str, str]] = {
    "too_large": (_R, "檔案 {size:,} 位元組，超過上限 {limit:,}", "{size:,} bytes, over the {limit:,}-byte limit"),
    "empty": (_R, "檔案是空的", "the file is empty"),
    "not_pdf": (_R, "檔案內容不是 PDF（依內容判斷，不看副檔名）", "not a PDF (judged by its bytes, not its name)"),
    "truncated": (_R, "檔案不完整（缺少結尾標記），可能上傳中斷", "incomplete file (no %%EOF marker): was the upload cut off?"),
    "unreadable": (_R, "無法解析此 PDF 檔", "the PDF could not be parsed ({detail})"),
    "limit_exceeded": (_R, "無法安全讀取：超過{limit_zh}限制", "could not be read safely: {limit_en} limit"),
    "encrypted": (_R, "檔案受密碼保護，無法審查", "password-protected: it cannot be reviewed"),
    "no_pages": (_R, "PDF 沒有任何頁面", "the PDF has no pages"),
    "signature_broken": (_R, "數位簽章已失效：簽署後內容遭變更", "signature broken: the document was changed after signing"),
    "no_text_layer": (_N, "沒有文字層（可能是掃描檔），需人工判讀", "no text layer (a scan?): a person must read it"),
    "garbled_text": (_N, "文字層為亂碼，需人工判讀", "the text layer is garbled: a person must read it"),
    "expected_text_missing": (_N, "找不到預期文字：{texts}", "expected text not found: {texts}"),
    "date_missing": (_N, "找不到日期（如檢測日期）", "no date found (such as the test date)"),
    "risky_features": (_N, "含有主動內容：{features}", "contains active content: {features}"),
    "signature_untrusted": (_N, "數位簽章完整，但簽署者不在信任清單", "intact signature, but the signer does not chain to a trusted root"),
    "signature_unverifiable": (_N, "無法驗證數位簽章", "the digital signature could not be evaluated"),
    "trailing_data": (_N, "檔案結尾標記（%%EOF）之後另有 {size:,} 位元組資料（可能夾帶其他檔案），需人工判讀", "{size:,} bytes after the final %%EOF (another file appended?): a person must read it"),
}
# fmt: on
# Sandbox failure / probe limit -> (zh, en) names of the limit that was hit.
LIMIT_NAMES = {
    "timeout": ("時間", "time"),
    "memory": ("記憶體", "memory"),
    "structure": ("結構複雜度", "structure (size, depth or parsing work)"),
    "text": ("文字量", "text size"),
    "crashed": ("讀取程序資源", "reader resource (the reader crashed)"),
    "output": ("輸出大小", "output size"),
}


@dataclass(frozen=True)
class Reason:
    """Why a file is not simply accepted: a stable ``code`` and a message in each language."""

    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class InspectionReport:
    """The outcome of :func:`inspect_pdf`; ``to_dict()`` is the JSON contract.

    ``pages`` is ``None`` when the file was rejected before it was parsed (or
    is locked); ``signature_intact``/``signature_trusted`` are ``None`` when the
    file is unsigned (or the signature could not be evaluated).
    """

    verdict: str
    reasons: tuple[Reason, ...]
    sha256: str
    bytes: int
    pages: int | None = None
    encrypted: bool = False
    text_layer: bool = False
    keywords_found: tuple[str, ...] = ()
    keywords_missing: tuple[str, ...] = ()
    risky_features: tuple[str, ...] = ()
    signature_fields: int = 0
    signed: bool = False
    signature_intact: bool | None = None
    signature_trusted: bool | None = None
    signer: str | None = None
    form_numbers: tuple[str, ...] = ()
    dates_found: tuple[str, ...] = ()
    garbled_text: bool = False
    text_excerpt: str = ""
    kind: str | None = None
    trailing_bytes: int = 0
    largest_image_pixels: int = 0

    def to_dict(self) -> dict:
        """Plain JSON-ready dict: tuples become lists, reasons become objects."""
        out = asdict(self)
        return {
            key: list(value) if isinstance(value, tuple) else value for key, value in out.items()
        }


def expectations(kind: str | None, expect: Sequence[str] = ()) -> tuple[tuple[str, ...], bool]:
    """Expected texts (the kind's first, then ``expect``) and whether a date is required.

    Raises InvalidInput for an unknown kind or a blank expected text.
    """
    if kind is not None and kind not in KIND_EXPECTATIONS:
        raise InvalidInput(
            f"未知的佐證資料類別：{kind}（可用：{', '.join(EVIDENCE_KINDS)}）",
            f"unknown evidence kind {kind!r}; known kinds: {', '.join(EVIDENCE_KINDS)}",
        )
    if any(not text.strip() for text in expect):
        raise InvalidInput("預期文字不可空白", "an expected text must not be blank")
    table = KIND_EXPECTATIONS.get(kind, {})
    texts = dict.fromkeys([*table.get("texts", ()), *(text.strip() for text in expect)])
    return tuple(texts), bool(table.get("date"))


def inspect_pdf(
    data: bytes,
    *,
    expect: Sequence[str] = (),
    kind: str | None = None,
    trust_dir: Path | None = None,
    max_bytes: int = MAX_BYTES,
    timeout_s: float = 10.0,
    memory_mb: int = 512,
    sandbox: Sandbox | None = None,
) -> InspectionReport:
    """Run every automatic check on ``data`` and return the report.

    Never raises because of the file's content (a hostile file gives a
    ``rejected`` report).  Raises InvalidInput for a bad ``kind``/``expect``
    and SandboxError if the sandbox itself cannot run.
    """
    texts, needs_date = expectations(kind, expect)
    base = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "kind": kind}
    base["trailing_bytes"] = trailing_bytes(data)
    early = _sniff(data, max_bytes)
    if early:
        return _report(base, [early])
    roots = [base64.b64encode(root).decode() for root in load_trust_roots(trust_dir)]
    outcome = (sandbox or default_sandbox()).run(
        "probe", data, {"trust_roots": roots}, timeout_s=timeout_s, memory_mb=memory_mb
    )
    if outcome.failure:
        return _report(base, [_limit_reason(outcome.failure)])
    if "error" in outcome.result:
        return _report(base, [_probe_error(outcome.result)])
    return _judge(base, outcome.result, texts, needs_date)


def inspect_file(path: Path, *, max_bytes: int = MAX_BYTES, **options) -> InspectionReport:
    """:func:`inspect_pdf` on a file, without reading an oversized file into memory.

    Raises InvalidInput if ``path`` is missing, not a regular file or unreadable.
    """
    expectations(options.get("kind"), options.get("expect", ()))
    path = Path(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise InvalidInput(f"不是一般檔案：{path}", f"not a regular file: {path}")
        with path.open("rb") as handle:
            if info.st_size > max_bytes:
                return _oversized(handle, max_bytes, options.get("kind"))
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise InvalidInput(f"找不到檔案：{path}", f"no such file: {path}") from None
    except OSError as exc:
        raise InvalidInput(f"無法讀取檔案：{path}", f"cannot read {path}: {exc.strerror}") from None
    return inspect_pdf(data, max_bytes=max_bytes, **options)


def _oversized(handle, max_bytes: int, kind: str | None) -> InspectionReport:
    digest, size = hashlib.sha256(), 0
    while chunk := handle.read(1 << 20):
        digest.update(chunk)
        size += len(chunk)
    base = {"sha256": digest.hexdigest(), "bytes": size, "kind": kind}
    return _report(base, [_reason("too_large", size=size, limit=max_bytes)])


def _sniff(data: bytes, max_bytes: int) -> Reason | None:
    """The checks made on raw bytes, in order: size, emptiness, magic, end marker."""
    if len(data) > max_bytes:
        return _reason("too_large", size=len(data), limit=max_bytes)
    if not data.strip():
        return _reason("empty")
    if b"%PDF-" not in data[:MAGIC_WINDOW]:
        return _reason("not_pdf")
    if b"%%EOF" not in data:
        return _reason("truncated")
    return None


def trailing_bytes(data: bytes) -> int:
    """Bytes after the final ``%%EOF`` other than line ends, blanks and NULs (0 without one).

    Readers ignore them, so they can carry another file (a ZIP after the PDF).
    """
    end = data.rfind(b"%%EOF")
    return 0 if end < 0 else len(data[end + 5 :].strip(b"\r\n\t \x00\x0c"))


def _judge(base: dict, facts: dict, texts: tuple[str, ...], needs_date: bool) -> InspectionReport:
    text = facts.get("text", "")
    key = match_key(text)
    found = tuple(t for t in texts if contains(key, t))
    fields = {
        "pages": facts.get("pages"),
        "encrypted": bool(facts.get("encrypted")),
        "text_layer": visible_length(text) >= MIN_TEXT_CHARS,
        "keywords_found": found,
        "keywords_missing": tuple(t for t in texts if t not in found),
        "risky_features": tuple(facts.get("risky_features", ())),
        "signature_fields": int(facts.get("signature_fields", 0)),
        "signed": bool(facts.get("signed")),
        "signature_intact": facts.get("signature_intact"),
        "signature_trusted": facts.get("signature_trusted"),
        "signer": facts.get("signer"),
        "form_numbers": tuple(find_form_numbers(text)),
        "dates_found": tuple(d.isoformat() for d in find_dates(text)),
        "garbled_text": facts.get("garbled_ratio", 0.0) > GARBLED_RATIO,
        "text_excerpt": text[:EXCERPT_CHARS],
        "largest_image_pixels": int(facts.get("largest_image_pixels") or 0),
    }
    reasons = _rules(fields, needs_date)
    if base["trailing_bytes"]:
        reasons.append(_reason("trailing_data", size=base["trailing_bytes"]))
    return _report(base | fields, reasons)


def _report(fields: dict, reasons: list[Reason]) -> InspectionReport:
    return InspectionReport(verdict=_verdict_of(reasons), reasons=tuple(reasons), **fields)


def _reason(code: str, **details) -> Reason:
    _, zh, en = REASONS[code]
    return Reason(code, zh.format(**details), en.format(**details))


def _limit_reason(limit: str) -> Reason:
    zh, en = LIMIT_NAMES.get(limit, LIMIT_NAMES["crashed"])
    return _reason("limit_exceeded", limit_zh=zh, limit_en=en)


def _probe_error(facts: dict) -> Reason:
    detail = facts.get("detail", "")
    if facts["error"] != "limit":
        return _reason("unreadable", detail=detail)
    if detail.startswith("TextLimitReached"):
        return _limit_reason("text")
    return _limit_reason("memory" if detail.startswith("MemoryError") else "structure")


def _rules(f: dict, needs_date: bool) -> list[Reason]:
    """The verdict rules over the facts, rejections first."""
    if f["encrypted"]:
        return [_reason("encrypted")]
    if not f["pages"]:
        return [_reason("no_pages")]
    reasons = []
    if f["signed"] and f["signature_intact"] is False:
        reasons.append(_reason("signature_broken"))
    if not f["text_layer"]:
        reasons.append(_reason("no_text_layer"))
    elif f["garbled_text"]:
        reasons.append(_reason("garbled_text"))
    else:
        reasons += _content_reasons(f, needs_date)
    if f["risky_features"]:
        reasons.append(_reason("risky_features", features=", ".join(f["risky_features"])))
    if f["signed"] and f["signature_intact"] is None:
        reasons.append(_reason("signature_unverifiable"))
    elif f["signed"] and f["signature_intact"] and not f["signature_trusted"]:
        reasons.append(_reason("signature_untrusted"))
    return reasons


def _content_reasons(f: dict, needs_date: bool) -> list[Reason]:
    reasons = []
    if f["keywords_missing"]:
        reasons.append(_reason("expected_text_missing", texts="、".join(f["keywords_missing"])))
    if needs_date and not f["dates_found"]:
        reasons.append(_reason("date_missing"))
    return reasons


def _verdict_of(reasons: Sequence[Reason]) -> str:
    forced = {REASONS[r.code][0] for r in reasons}
    return REJECTED if REJECTED in forced else NEEDS_REVIEW if forced else ACCEPTED
