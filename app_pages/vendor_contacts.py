"""Vendor portal: the addresses that receive the vendor's own reminders (到期提醒)."""

import streamlit as st

from app_pages._common import attempt, get_store, require_role
from tracker.domain.vendors import Vendor
from tracker.services.contacts import set_vendor_emails

user = require_role("vendor")
store = get_store()
vendor = store.require(Vendor, user.vendor_id)
st.title("通知信箱")
st.caption(
    "應辦事項到期前 30、7、1 天及逾期時（逾期首日與每週一），系統會寄提醒信到以下地址。"
    "每行一個地址，最多 10 個；清空則不再寄送。"
)
with st.form("vendor_emails"):
    text = st.text_area(
        "通知電子郵件", value="\n".join(vendor.contact_emails), placeholder="name@example.org"
    )
    if st.form_submit_button("儲存", type="primary"):
        with attempt():
            # the signed-in vendor's own id, never one chosen on the screen
            saved = set_vendor_emails(store, user.id, user.vendor_id, text)
            count = len(saved.contact_emails)
            st.success(f"已儲存 {count} 個地址" if count else "已清除通知信箱，將不再寄送提醒")
