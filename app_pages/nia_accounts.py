"""移民署系統帳號: the register of NIA accounts and their application flow (points 四–六).

The account manager drafts an application, records the unit head's first
review (初審) and their own second review (複審), the NIA's confirmation, the
registered IP addresses (6.4), proxy authorisations (5.6), the holder leaving
(5.3) and the cancellation; a manager (主管) sees the same tables, no forms.
National IDs are typed into a password field and only the masked form is kept.

The tables are in :mod:`app_pages._accounts_ui`, the forms in
:mod:`app_pages._accounts_forms`; this script lays out the screen.
"""

import streamlit as st

from app_pages import _accounts_forms as forms
from app_pages import _accounts_ui as ui
from app_pages._common import (
    READ_ONLY_NOTE,
    agencies_or_stop,
    get_store,
    plain,
    require_role,
    roc,
)
from app_pages._widgets import choose_record, show_flash
from tracker.compliance.loader import default_catalogue
from tracker.core import clock
from tracker.domain import accounts
from tracker.services import account_register

user = require_role("account_admin", "manager", "unit_head")
editable = user.role == "account_admin"
reviews = user.role in ("account_admin", "unit_head")
store = get_store()
catalogue = default_catalogue()
bases = {b["id"]: b["zh"] for b in catalogue.legal_bases}
channels = {c["id"]: c["zh"] for c in catalogue.query_channels}
today = clock.today()
removal_days = catalogue.get("5.3").timing.days  # 5.3: the system's deadline for cancelling

st.title("移民署資訊系統帳號")
if user.role == "manager":
    st.caption(READ_ONLY_NOTE)
elif user.role == "unit_head":
    st.caption(
        f"使用單位主管（{plain(user.unit) or '未設定單位'}）：於「帳號明細與作業」辦理本單位申請之初審；"
        "其餘資料僅供檢視。"
    )
show_flash()
agencies = agencies_or_stop(store)
agency_id = choose_record(
    "機關",
    {a: agencies[a].name for a in agencies},
    key="accounts_agency",
    default=next(iter(agencies)),
)
if agency_id is None:
    st.info("請選擇機關。")
    st.stop()
agency = agencies[agency_id]
register = account_register.list_accounts(store, agency_id)

tabs = st.tabs(
    ["帳號清冊", "帳號明細與作業", "新增申請", "機關帳號管理者"]
    if editable
    else ["帳號清冊", "帳號明細與作業" if reviews else "帳號明細", "機關帳號管理者"]
)
tab_list, tab_detail = tabs[0], tabs[1]
tab_new = tabs[2] if editable else None
tab_admin = tabs[-1]

with tab_list:
    ui.register_table(register, bases, channels, today)

with tab_detail:
    if not register:
        st.info("此機關尚無帳號。")
    else:
        by_id = {a.id: a for a in register}
        picked = choose_record(
            "帳號",
            {a: ui.label(by_id[a]) for a in by_id},
            key=f"account_pick-{agency_id}",
            default=next(
                (a.id for a in register if a.state == forms.REVIEW_BY_ROLE.get(user.role)),
                register[0].id,
            ),
        )
        chosen = by_id.get(picked)
        if chosen is None:
            st.info("請選擇帳號。")
        else:
            ui.account_heading(chosen, bases, today)
            if reviews:
                forms.flow_forms(store, user, chosen, today)
            if editable and chosen.state in accounts.OPEN_STATES:
                forms.service_forms(store, user.id, chosen, today, removal_days)
            ui.show_history(store, chosen)

if tab_new is not None:
    with tab_new:
        forms.new_account_form(store, user.id, agency_id, bases, channels)

with tab_admin:
    ui.admin_history(store, agency)
    if editable:
        forms.admin_form(store, user.id, agency)

st.caption(f"資料日期：{roc(today)}　·　註銷期限＝異動日＋{removal_days} 日（本系統設定）")
