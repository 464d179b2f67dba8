"""Sign-in: one username field, one password field; demo accounts listed only for demo data."""

import streamlit as st

from app_pages import _session
from app_pages._common import get_store, role_label, show_error
from tracker.domain.vendors import Vendor
from tracker.services.users import DEMO_PASSWORD, DEMO_USERS, SignInFailed, sign_in

store = get_store()
st.title("移民資訊應用合規追蹤")
st.caption("臺北市政府社會局暨所屬機關應用移民資訊管理要點")

notice = st.session_state.pop(_session.NOTICE_KEY, None)
if notice:
    st.info(notice)

left, right = st.columns([2, 3])
with left, st.form("sign_in"):
    st.subheader("登入")
    username = st.text_input("帳號", key="username", autocomplete="username")
    password = st.text_input(
        "密碼", type="password", key="password", autocomplete="current-password"
    )
    submitted = st.form_submit_button("登入", type="primary")

if submitted:
    try:
        user = sign_in(store, username, password)
    except SignInFailed as exc:
        with left:
            show_error(exc)
    else:
        _session.start(user)
        st.rerun()

if _session.sso_enabled():
    with left:
        st.button("以單一登入（SSO）登入", on_click=st.login, key="sso")
        if st.user.is_logged_in:
            st.warning("此單一登入身分尚未對應本系統帳號，請洽資訊室。")

if store.meta.get("demo"):
    with right:
        st.info("示範資料：以下帳號的密碼皆為 `" + DEMO_PASSWORD + "`")
        names = {v.id: v.name for v in store.all(Vendor)}
        st.table(
            {
                "帳號": [u for u, _, _ in DEMO_USERS],
                "角色": [
                    role_label(r) + (f"（{names.get(v, v)}）" if v else "")
                    for _, r, v in DEMO_USERS
                ],
            }
        )
