"""What a person must look at before deciding on an upload: flags, failed checks, a missing signature.

One list, read by the review screen (shown in the queue row and above the decision buttons) and by the
status engine (an upload with something to look at does not turn 逾期 into 待審查 until a person decides).
"""

from __future__ import annotations

from tracker.domain.evidence import Evidence

# The forms a person signs; the others (a test certificate, a checklist) may carry no signature.
SIGNED_KINDS = frozenset(
    {"staff_pledge", "confidentiality_clause", "account_application", "proxy_query_form"}
)
FLAG_ZH = {
    "same_file_other_staff": "同一檔案亦上傳給其他人員",
    "form_number_other_staff": "表單編號屬於其他人員",
}
UNSIGNED_ZH = "未偵測到數位簽章，請確認已親筆簽名"


def attention_points(evidence: Evidence) -> list[str]:
    """The points (zh-TW) an upload raises, ``[]`` when there is nothing to look at.

    The flags set at upload, the automatic check's reasons unless it passed, and for a form that
    must be signed an inspected file without a digital signature.  Records
    the app generated itself (an audit record) raise none.
    """
    doc = evidence.inspection or {}
    if doc.get("generated"):
        return []
    points = [FLAG_ZH.get(flag, flag) for flag in evidence.flags]
    if doc.get("verdict") not in (None, "accepted"):
        points += [r.get("zh", "") for r in doc.get("reasons") or [] if r.get("zh")]
    # An empty signature field is no signature: a machine sees only a digital one; a signature on
    # paper (a scan) is for a person to see.
    if "verdict" in doc and evidence.kind in SIGNED_KINDS and not doc.get("signed"):
        points.append(UNSIGNED_ZH)
    return list(dict.fromkeys(points))
