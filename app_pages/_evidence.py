"""Showing evidence: the inspection's findings, a record's metadata, a preview of the file.

The preview (:mod:`tracker.inspection.preview`) renders the first pages to PNG
in a limited child process, and not at all for a file with a giant image; the
images work in every browser and in AppTest.  Without a preview the page
says why and shows the text excerpt and the download.
"""

from __future__ import annotations

import streamlit as st

from app_pages._common import get_blobs, roc, show_error, show_facts
from tracker.compliance.attention import FLAG_ZH
from tracker.compliance.loader import default_catalogue
from tracker.core.errors import TrackerError
from tracker.documents.labels import MODIFICATION, REVIEW, TRUST_PROBLEM, VERDICT
from tracker.domain.evidence import Evidence
from tracker.inspection.preview import Preview, render_preview


def kind_label(kind: str) -> str:
    found = default_catalogue().evidence_kinds.get(kind)
    return found.zh if found else kind


def show_inspection(doc: dict, points: list[str] | None = None) -> None:
    """The inspection report (``InspectionReport.to_dict()``) as a person reads it.

    ``points`` (:func:`tracker.compliance.attention.attention_points`) are shown first; with any,
    the verdict is never shown as passed.
    """
    points = points or []
    verdict = doc.get("verdict", "")
    if points and verdict == "accepted":
        verdict = "needs_review"
    text = VERDICT.get(verdict, verdict)
    {"accepted": st.success, "needs_review": st.warning}.get(verdict, st.error)(text)
    lines = [f"⚠ {point}" for point in points]
    for reason in doc.get("reasons") or []:  # they quote signers' and fields' names: text only
        if reason.get("zh") not in points:
            lines.append(f"・{reason.get('zh', '')}")
    if lines:
        st.text("\n".join(lines))
    facts = {
        "頁數": doc.get("pages") if doc.get("pages") is not None else "—",
        "文字層": "有" if doc.get("text_layer") else "無",
        "加密": ("須密碼才能開啟" if doc.get("password_required") else "有（不需密碼即可開啟）")
        if doc.get("encrypted")
        else "無",
        "找到的預期文字": "、".join(doc.get("keywords_found") or []) or "—",
        "缺少的預期文字": "、".join(doc.get("keywords_missing") or []) or "—",
        "主動內容": "、".join(doc.get("risky_features") or []) or "無",
        "簽章欄位": doc.get("signature_fields", 0),
        "數位簽章": _signature_text(doc),
        "表單編號": "、".join(doc.get("form_numbers") or []) or "—",
    }
    show_facts(facts)


def _signature_text(doc: dict) -> str:
    if not doc.get("signed"):
        return "未簽署"
    if doc.get("signatures"):
        return "；".join(_one_signature(entry) for entry in doc["signatures"])
    intact = {True: "完整", False: "已失效", None: "無法判斷"}[doc.get("signature_intact")]
    trusted = "，簽署者受信任" if doc.get("signature_trusted") else ""
    return f"已簽署（{doc.get('signer') or '簽署者不明'}），{intact}{trusted}"


def _one_signature(entry: dict) -> str:
    intact = {True: "完整", False: "已失效", None: "無法判斷"}[entry.get("intact")]
    trust = "受信任" if entry.get("trusted") else TRUST_PROBLEM.get(entry.get("trust_problem"), "")
    change = MODIFICATION.get(entry.get("modification"), "")
    parts = [p for p in (intact, trust, change) if p]
    return f"{entry.get('signer') or '簽署者不明'}（{'，'.join(parts)}）"


def show_record(evidence: Evidence) -> None:
    """The evidence record's metadata and review decision."""
    facts = {
        "佐證種類": kind_label(evidence.kind),
        "應辦事項": evidence.obligation_id,
        "檔名": evidence.filename,
        "上傳者": evidence.uploaded_by,
        "上傳時間": roc(evidence.uploaded_at),
        "文件日期": roc(evidence.effective),
        "審查狀態": REVIEW[evidence.state],
        "審查者": evidence.reviewed_by or "—",
        "審查時間": roc(evidence.reviewed_at) or "—",
        "審查理由": evidence.review_reason or "—",
        "有效期限": roc(evidence.valid_until) or "—",
        "表單編號": evidence.form_number or "—",
        "注意事項": "、".join(FLAG_ZH.get(f, f) for f in evidence.flags) or "—",
        "SHA-256": evidence.sha256,
    }
    show_facts(facts)


def download_button(evidence: Evidence, *, key: str) -> None:
    """A download of the stored file (checked against its hash), under the uploader's file name."""
    try:
        data = get_blobs().read(evidence.sha256)
    except TrackerError as exc:
        show_error(exc)
        return
    name = evidence.filename if evidence.filename.lower().endswith(".pdf") else f"{evidence.id}.pdf"
    st.download_button(
        "下載檔案",
        data,
        file_name=name,
        mime="application/pdf",
        key=key,
        icon=":material/download:",
    )


def show_preview(evidence: Evidence) -> None:
    preview = preview_of(evidence.sha256, evidence.inspection or {})
    if not preview.images:
        st.info(preview.note_zh)
        excerpt = (evidence.inspection or {}).get("text_excerpt")
        if excerpt:
            st.text(excerpt)
        return
    for n, image in enumerate(preview.images, start=1):
        st.image(image, caption=f"第 {n} 頁", width="stretch")


@st.cache_data(max_entries=64, show_spinner="產生預覽中…")
def preview_of(sha256: str, _inspection: dict) -> Preview:
    """The stored file's preview (:func:`tracker.inspection.preview.render_preview`), once per file."""
    return render_preview(get_blobs().read(sha256), _inspection)
