"""IT office: the vendors' logins to this web app — create, reset the password, disable or enable.

A new login and a reset show a one-time password once (:mod:`tracker.services.user_admin`); the
vendor must choose its own password at the first sign-in.
"""

import pandas as pd
import streamlit as st

from app_pages._common import attempt, get_store, plain, require_role, roc, show_table
from app_pages._widgets import choose_record, done, form_key, set_choice, show_flash
from tracker.domain.vendors import Vendor
from tracker.services.user_admin import (
    create_vendor_login,
    reset_password,
    set_vendor_login_disabled,
    vendor_logins,
)

user = require_role("it_office")
store = get_store()
st.title("廠商登入帳號")
show_flash()
vendors = {v.id: v.name for v in sorted(store.all(Vendor), key=lambda v: v.name)}
logins = vendor_logins(store)
ONCE = "一次性密碼：{password}（僅顯示這一次；請以安全方式交付，首次登入時須變更）"

show_table(
    pd.DataFrame(
        {
            "帳號": [u.id for u in logins],
            "廠商": [vendors.get(u.vendor_id or "", "") for u in logins],
            "狀態": ["停用" if u.disabled else "啟用" for u in logins],
            "首次登入須變更密碼": ["是" if u.must_change_password else "" for u in logins],
            "鎖定至": [roc(u.locked_until) for u in logins],
        }
    )
)

left, right = st.columns(2)
with left, st.form(form_key("new_login")):
    st.markdown("**新增廠商帳號**")
    username = st.text_input("帳號（3–32 個小寫英數字，可含 . _ -）", max_chars=32)
    vendor_id = choose_record("廠商", vendors, key="new_login_vendor")
    if st.form_submit_button("建立帳號", type="primary"):
        if vendor_id is None:
            st.warning("請先選擇廠商。")
        else:
            with attempt():
                made, password = create_vendor_login(
                    store, user.id, username=username, vendor_id=vendor_id
                )
                set_choice("login_pick", made.id)
                done(
                    f"已建立 {made.id}（{vendors[vendor_id]}）。" + ONCE.format(password=password),
                    clear="new_login",
                )

with right:
    st.markdown("**重設密碼、停用或啟用**")
    picked = choose_record(
        "帳號",
        {
            u.id: f"{u.id}（{vendors.get(u.vendor_id or '', '')}，{'停用' if u.disabled else '啟用'}）"
            for u in logins
        },
        key="login_pick",
    )
    chosen = next((u for u in logins if u.id == picked), None)
    if chosen is not None:
        sure = st.checkbox(
            f"確認重設 {plain(chosen.id)} 之密碼（原密碼立即失效，須將新的一次性密碼交給對方）",
            key=f"confirm-reset-{chosen.id}",
        )
        reset_col, toggle_col = st.columns(2)
        if reset_col.button("重設密碼", key="reset_password", disabled=not sure):
            with attempt():
                changed, password = reset_password(store, user.id, chosen.id)
                done(f"已重設 {changed.id} 之密碼。" + ONCE.format(password=password))
        label = "啟用帳號" if chosen.disabled else "停用帳號"
        if toggle_col.button(label, key="toggle_login"):
            with attempt():
                changed = set_vendor_login_disabled(store, user.id, chosen.id, not chosen.disabled)
                state = "停用" if changed.disabled else "啟用"
                done(f"已{state} {changed.id}（{vendors.get(changed.vendor_id or '', '')}）")
