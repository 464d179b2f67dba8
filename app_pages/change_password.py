"""Choosing one's own password: required at the first sign-in with a one-time password."""

import streamlit as st

from app_pages._common import attempt, current_user, get_store
from app_pages._widgets import done
from tracker.services.user_admin import change_own_password

user = current_user()
if user is None:
    st.stop()
st.title("變更密碼")
if user.must_change_password:
    st.warning("您使用的是一次性密碼，請先設定自己的密碼後再繼續使用本系統。")
with st.form("change_password"):
    current = st.text_input("目前密碼", type="password", autocomplete="current-password")
    new = st.text_input("新密碼（至少 8 個字元）", type="password", autocomplete="new-password")
    again = st.text_input("再次輸入新密碼", type="password", autocomplete="new-password")
    if st.form_submit_button("變更密碼", type="primary"):
        if new != again:
            st.error("兩次輸入的新密碼不一致")
        else:
            with attempt():
                change_own_password(get_store(), user.id, current, new)
                done("已變更密碼")
