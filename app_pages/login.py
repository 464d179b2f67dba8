"""Sign-in: one username field, one password field; demo usernames and roles listed only for demo data."""

import streamlit as st

from app_pages import _session
from app_pages._common import get_store, plain, role_label, show_error
from tracker.core.errors import TrackerError
from tracker.services.demo_accounts import DEMO_PASSWORD, DEMO_USERS, in_demo_mode
from tracker.services.sign_in import sign_in

store = get_store()
st.title("移民資訊應用合規追蹤")
st.caption("臺北市政府社會局暨所屬機關應用移民資訊管理要點")

notice = st.session_state.pop(_session.NOTICE_KEY, None)
if notice:
    st.info(plain(notice))

left, right = st.columns([2, 3])
with left, st.form("sign_in"):
    st.subheader("登入")
    username = st.text_input("帳號", key="username", autocomplete="username", max_chars=64)
    password = st.text_input(
        "密碼", type="password", key="password", autocomplete="current-password", max_chars=256
    )
    submitted = st.form_submit_button("登入", type="primary")

if submitted:
    if not _session.attempt_allowed():
        with left:
            st.error("嘗試登入過於頻繁，請一分鐘後再試")
    else:
        try:
            user = sign_in(store, username, password)
        except TrackerError as exc:  # wrong, locked, or too many checks at once
            with left:
                show_error(exc)
        else:
            _session.start(store, user)
            st.rerun()

if _session.sso_enabled():
    with left:
        for provider in _session.sso_providers():
            name = f"（{plain(provider)}）" if provider else "（SSO）"
            args = (provider,) if provider else ()
            st.button(f"以單一登入{name}登入", on_click=st.login, args=args, key=f"sso-{provider}")
        if st.user.is_logged_in:
            st.warning("此單一登入身分尚未對應本系統帳號，請洽資訊室。")
            st.button("改用其他身分", on_click=st.logout, key="sso-logout")

if in_demo_mode(store):
    with right:
        st.info("示範資料：以下帳號的密碼皆為 `" + DEMO_PASSWORD + "`")
        st.table(
            {
                "帳號": [u for u, _, _ in DEMO_USERS],
                "角色": [role_label(r) for _, r, _ in DEMO_USERS],
            }
        )
