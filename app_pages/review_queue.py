"""IT office: the review queue — submitted evidence with its inspection beside a preview; approve or reject.

What needs a person's eye (upload flags, failed checks, a form without any signature:
:func:`tracker.compliance.attention.attention_points`) is in the queue row and above the decision
buttons, and approving such an upload needs a tick that it was looked at.  A decision can be set
right later by a logged correction (second tab).
"""

import pandas as pd
import streamlit as st

from app_pages._common import attempt, get_store, plain, require_role, roc, show_wrapped
from app_pages._evidence import (
    download_button,
    kind_label,
    show_inspection,
    show_preview,
    show_record,
)
from app_pages._widgets import choose_record, done, form_key, show_flash
from tracker.compliance.attention import FLAG_ZH, attention_points
from tracker.core import clock
from tracker.core.errors import TrackerError
from tracker.documents.labels import REVIEW, SUBJECT, VERDICT
from tracker.domain.subjects import subject_label as label_of
from tracker.domain.vendors import Vendor
from tracker.services.corrections import correct_review
from tracker.services.dashboard import obligation_label
from tracker.services.evidence import (
    recent_decisions,
    review_evidence,
    review_queue,
    same_file_subjects,
    subject_owner,
)

user = require_role("it_office")
store = get_store()
st.title("佐證審查")
show_flash()

vendors = {v.id: v.name for v in store.all(Vendor)}
queue = review_queue(store)


def subject_label(evidence) -> str:
    try:
        record = subject_owner(store, evidence.subject_kind, evidence.subject_id)[0]
    except TrackerError:
        return evidence.subject_id
    return label_of(record)


def points_of(evidence) -> list[str]:
    """The attention points, the other subjects of a shared file named."""
    points = attention_points(evidence)
    shared = FLAG_ZH["same_file_other_staff"]
    if shared in points:
        others = "、".join(same_file_subjects(store, evidence)) or "—"
        points = [f"{p}（{others}）" if p == shared else p for p in points]
    return points


def label(evidence) -> str:
    mark = "⚠ " if attention_points(evidence) else ""
    who = vendors.get(evidence.vendor_id, "機關")
    return f"{mark}{who}｜{kind_label(evidence.kind)}｜{subject_label(evidence)}"


tab_queue, tab_decided = st.tabs([f"待審查（{len(queue)}）", "已審查（更正審查結果）"])

with tab_queue:
    points = {e.id: points_of(e) for e in queue}
    show_wrapped(
        pd.DataFrame(
            {
                "上傳": [roc(e.uploaded_at) for e in queue],
                "注意事項": ["⚠ " + "；".join(points[e.id]) if points[e.id] else "" for e in queue],
                "廠商": [vendors.get(e.vendor_id, "") for e in queue],
                "對象": [f"{SUBJECT[e.subject_kind]} {subject_label(e)}" for e in queue],
                "佐證種類": [kind_label(e.kind) for e in queue],
                "自動檢核": [
                    "需人工判讀" if points[e.id] else VERDICT.get(e.inspection.get("verdict"), "")
                    for e in queue
                ],
            }
        ),
        "上傳",
    )
    picked = (
        choose_record(
            "審查項目", {e.id: label(e) for e in queue}, key="review_pick", default=queue[0].id
        )
        if queue
        else None
    )
    evidence = next((e for e in queue if e.id == picked), None)
    if queue and evidence is None:
        st.info("請選擇要審查的項目。")
    if evidence is not None:
        left, right = st.columns([3, 2])
        with left:
            st.subheader("檔案預覽")
            show_preview(evidence)
            download_button(evidence, key=f"download-{evidence.id}")
        with right:
            st.subheader("審查決定")
            st.markdown(
                f"**{plain(subject_label(evidence))}**　{plain(kind_label(evidence.kind))}　"
                f"{plain(obligation_label(evidence.obligation_id))}"
            )
            found = points[evidence.id]
            for point in found:
                st.warning(plain(point), icon=":material/warning:")
            seen = st.checkbox("我已檢視上列注意事項", key=f"seen-{evidence.id}") if found else True
            reason = st.text_area("理由（退件時必填）", key=f"reason-{evidence.id}", max_chars=1000)
            approve_col, reject_col = st.columns(2)
            approve = approve_col.button(
                "核准", type="primary", key="approve", icon=":material/check:", disabled=not seen
            )
            reject = reject_col.button("退件", key="reject", icon=":material/close:")
            if approve or reject:
                with attempt():
                    decided = review_evidence(
                        store, user.id, user.role, evidence.id, approve=approve, reason=reason
                    )
                    verb = "核准" if approve else "退件"
                    when = roc(clock.local_date(decided.reviewed_at))
                    done(f"已{verb}：{label(decided).removeprefix('⚠ ')}（{when}）")
            st.subheader("自動檢核")
            show_inspection(evidence.inspection, found)
            with st.expander("佐證資料明細"):
                show_record(evidence)
    elif not queue:
        st.info("目前沒有待審查的佐證資料。")

with tab_decided:
    decided = recent_decisions(store)
    if not decided:
        st.info("尚無審查結果。")
    else:
        with st.form(form_key("correct_review")):
            st.markdown("**更正審查結果**（更正後回到待審查，重新決定；理由記入操作日誌）")
            chosen = choose_record(
                "審查結果",
                {
                    e.id: f"{label(e).removeprefix('⚠ ')}｜{REVIEW[e.state]}"
                    f"（{roc(clock.local_date(e.reviewed_at))}，{e.reviewed_by}）"
                    for e in decided
                },
                key="correct_review_pick",
            )
            why = st.text_input("更正理由（必填）")
            if st.form_submit_button("更正為待審查"):
                if chosen is None:
                    st.warning("請先選擇審查結果。")
                else:
                    with attempt():
                        back = correct_review(store, user.id, user.role, chosen, why)
                        done(
                            f"已更正：{label(back).removeprefix('⚠ ')} 回到待審查",
                            clear="correct_review",
                        )
