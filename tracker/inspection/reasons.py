"""Why an inspected file is not simply accepted: stable reason codes, their messages and verdicts.

Each code forces a verdict (``rejected`` or ``needs_review``) and has a zh-TW
and an English message; :func:`reason` fills in the details.  The verdict of
a report is the strongest one its reasons force (:func:`verdict_of`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

ACCEPTED, NEEDS_REVIEW, REJECTED = "accepted", "needs_review", "rejected"

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
    "encrypted": (_R, "檔案受密碼保護（須輸入密碼才能開啟），無法審查", "password-protected (a password is needed to open it): it cannot be reviewed"),
    "no_pages": (_R, "PDF 沒有任何頁面", "the PDF has no pages"),
    "signature_broken": (_R, "數位簽章已失效：簽署的內容與簽章不符（{signers}）", "signature broken: the signed bytes do not match the signature ({signers})"),
    "content_changed_after_signing": (_R, "簽署後內容遭變更：簽署後的修訂改變了文件內容（{signers}）", "content changed after signing: a later revision changes the document ({signers})"),
    "changes_not_permitted": (_R, "簽署後的修改超出簽署者允許的範圍（{signers}）", "changes after signing that the signer did not permit ({signers})"),
    "no_text_layer": (_N, "沒有文字層（可能是掃描檔），需人工判讀", "no text layer (a scan?): a person must read it"),
    "garbled_text": (_N, "文字層為亂碼，需人工判讀", "the text layer is garbled: a person must read it"),
    "expected_text_missing": (_N, "找不到預期文字：{texts}", "expected text not found: {texts}"),
    "required_test_missing": (_N, "防護需求等級「{level_zh}」級的系統應有{tests}，檢測證明中找不到", "a system of protection level {level_en} needs {tests}: not found in the certificate"),
    "date_missing": (_N, "找不到日期（如檢測日期）", "no date found (such as the test date)"),
    "risky_features": (_N, "含有主動內容：{features}", "contains active content: {features}"),
    "annotations_after_signing": (_N, "簽署後加入或修改了註解（簽署的內容未變），需人工判讀（{signers}）", "comments were added or changed after signing, the signed content is unchanged: a person must look ({signers})"),
    "form_filled_after_signing": (_N, "簽署後填寫了表單欄位 {fields}（簽署的內容未變），需人工判讀（{signers}）", "form fields {fields} were filled in after signing, the signed content is unchanged: a person must look ({signers})"),
    "signature_untrusted": (_N, "數位簽章完整，但簽署者不在信任清單（{signers}）", "intact signature, but the signer does not chain to a trusted root ({signers})"),
    "signature_expired": (_N, "數位簽章完整，但簽署憑證已過期（{signers}）", "intact signature, but the signing certificate has expired ({signers})"),
    "signature_not_yet_valid": (_N, "數位簽章完整，但簽署憑證尚未生效（{signers}）", "intact signature, but the signing certificate is not yet valid ({signers})"),
    "signature_revoked": (_N, "數位簽章完整，但簽署憑證已被廢止（{signers}）", "intact signature, but the signing certificate has been revoked ({signers})"),
    "signature_revocation_unknown": (_N, "數位簽章完整，但無法確認簽署憑證是否已被廢止（{signers}）", "intact signature, but whether the signing certificate was revoked could not be checked ({signers})"),
    "signature_certificate_invalid": (_N, "數位簽章完整，但簽署憑證不能用於簽章（用途或限制不符）（{signers}）", "intact signature, but the signing certificate is not valid for signing (usage or constraints) ({signers})"),
    "signature_unverifiable": (_N, "無法驗證數位簽章", "the digital signature could not be evaluated"),
    "trailing_data": (_N, "檔案結尾標記（%%EOF）之後另有 {size:,} 位元組資料（可能夾帶其他檔案），需人工判讀", "{size:,} bytes after the final %%EOF (another file appended?): a person must read it"),
}
# fmt: on
# A signature's trust problem -> the reason code that names it.
TRUST_REASONS = {
    "untrusted_root": "signature_untrusted",
    "expired": "signature_expired",
    "not_yet_valid": "signature_not_yet_valid",
    "revoked": "signature_revoked",
    "revocation_unknown": "signature_revocation_unknown",
    "invalid_certificate": "signature_certificate_invalid",
}
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


def reason(code: str, **details) -> Reason:
    """The reason ``code`` with its messages filled in from ``details``."""
    _, zh, en = REASONS[code]
    return Reason(code, zh.format(**details), en.format(**details))


def limit_reason(limit: str) -> Reason:
    """``limit_exceeded`` naming the limit (an unknown one counts as a crash)."""
    zh, en = LIMIT_NAMES.get(limit, LIMIT_NAMES["crashed"])
    return reason("limit_exceeded", limit_zh=zh, limit_en=en)


def verdict_of(reasons: Sequence[Reason]) -> str:
    """``rejected`` if any reason forces it, else ``needs_review`` if any, else ``accepted``."""
    forced = {REASONS[r.code][0] for r in reasons}
    return REJECTED if REJECTED in forced else NEEDS_REVIEW if forced else ACCEPTED
