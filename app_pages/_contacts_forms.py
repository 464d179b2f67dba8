"""The IT office's form for an agency's notification addresses (used by :mod:`app_pages.vendors_admin`)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages._common import attempt, plain, show_table
from tracker.domain.vendors import Agency
from tracker.notify.addresses import AGENCY_FIELDS, AUDIENCE_LABELS
from tracker.services.contacts import set_agency_addresses
from tracker.storage.store import Store

HELP = {
    "it_office": "每日摘要：待審查佐證與逾期之廠商應辦事項；資安事件與違規通知",
    "account_admin": "每日：待註銷帳號（5.3）與自主稽核時程（7.2）",
    "security_contact": "資安事件通知（8.3）",
    "ethics_contact": "違規通知（7.3）",
    "manager": "每週一：逾期事項摘要",
}


def agency_addresses_tab(store: Store, actor: str, agencies: dict[str, Agency]) -> None:
    """A table of every agency's addresses, and a form to change one agency's."""
    show_table(
        pd.DataFrame(
            {
                "機關": [a.name for a in agencies.values()],
                **{
                    AUDIENCE_LABELS[aud]: ["、".join(getattr(a, field)) for a in agencies.values()]
                    for aud, field in AGENCY_FIELDS.items()
                },
            }
        )
    )
    if not agencies:
        return
    picked = st.selectbox(
        "編輯機關通知信箱",
        list(agencies),
        format_func=lambda k: agencies[k].name,
        key="edit_agency_emails",
    )
    agency = agencies[picked]
    with st.form(f"agency-emails-{picked}"):
        st.caption("每欄每行一個電子郵件地址，最多 10 個；留空表示此角色不收信。")
        values = {
            aud.value: st.text_area(
                AUDIENCE_LABELS[aud],
                value="\n".join(getattr(agency, field)),
                help=HELP[aud.value],
                key=f"agency-{picked}-{aud.value}",
            )
            for aud, field in AGENCY_FIELDS.items()
        }
        if st.form_submit_button("儲存機關通知信箱", type="primary"):
            with attempt():
                saved = set_agency_addresses(store, actor, picked, **values)
                st.success(f"已儲存 {plain(saved.name)} 的通知信箱")
