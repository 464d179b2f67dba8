"""The web app's front door: sign-in, then the pages the signed-in role may open.

The navigation is rebuilt from the role on every run, so a page left out of
it cannot be opened by its URL either; each page checks the role again
(``app_pages._common.require_role``).  A demo folder says so on every page.
An idle session is taken back to the sign-in page by a timer, without waiting
for the next click.  Run with ``streamlit run streamlit_app.py``.
"""

import streamlit as st

from app_pages import _session
from app_pages._common import current_user, get_store, plain, role_label
from app_pages._zh import zh_widget_texts
from tracker.documents.labels import RECOVERY
from tracker.domain.vendors import Vendor
from tracker.services.demo_accounts import REMOVE_COMMAND, in_demo_mode

st.set_page_config(page_title="移民資訊應用合規追蹤", page_icon="🛂", layout="wide")
zh_widget_texts(get_store().settings.max_upload_bytes // 2**20)
_session.guard_uploads()

# (file, title, icon) per role; optional pages are listed only once their file exists.
DASHBOARD = ("dashboard.py", "合規儀表板", ":material/monitoring:")
PACKAGE = ("audit_package.py", "稽核資料包", ":material/folder_zip:")
ACCOUNT_PAGES = (
    ("nia_accounts.py", "移民署系統帳號", ":material/badge:"),
    ("self_audits.py", "自主稽核", ":material/fact_check:"),
)
PAGES_BY_ROLE = {
    "vendor": (
        ("vendor_status.py", "合規狀態與上傳", ":material/task_alt:"),
        ("vendor_staff.py", "專案作業人員", ":material/group:"),
        ("vendor_pcs.py", "專用電腦", ":material/computer:"),
        ("vendor_incidents.py", "資安事件通報", ":material/warning:"),
        ("vendor_contacts.py", "通知信箱", ":material/mail:"),
    ),
    "it_office": (
        DASHBOARD,
        ("review_queue.py", "佐證審查", ":material/rule:"),
        ("vendors_admin.py", "廠商與委託案", ":material/business:"),
        ("pledge_forms.py", "保密切結書", ":material/description:"),
        ("incidents_admin.py", "資安事件處理", ":material/emergency:"),
        ("vendor_logins.py", "廠商登入帳號", ":material/key:"),
        ("matrix.py", "廠商 × 應辦事項", ":material/grid_on:"),
        ("outbox.py", "寄件匣", ":material/outgoing_mail:"),
        PACKAGE,
    ),
    "manager": (DASHBOARD, *ACCOUNT_PAGES, PACKAGE),
    "account_admin": (DASHBOARD, *ACCOUNT_PAGES),
    "unit_head": (("nia_accounts.py", "帳號申請初審", ":material/badge:"),),
}


def pages_for(role: str) -> list:
    """The st.Page list of ``role``."""
    specs = PAGES_BY_ROLE.get(role, ())
    return [
        st.Page(f"app_pages/{file}", title=title, icon=icon, default=n == 0)
        for n, (file, title, icon) in enumerate(specs)
    ]


def idle_check_s() -> float:
    """How often an open page asks whether its session idled out: every half minute (sooner
    when TRACKER_SESSION_IDLE_MINUTES is short)."""
    return max(1.0, min(30.0, get_store().settings.session_idle_minutes * 60 / 3))


def idle_watch() -> None:
    """Once the session idled out, rerun the app, which then shows the sign-in page.

    A fragment's own run is no interaction: it does not restart the idle clock.
    """

    @st.fragment(run_every=idle_check_s())
    def watch() -> None:
        if _session.idle_now():
            st.rerun(scope="app")

    watch()


def sidebar(user) -> None:
    with st.sidebar:
        st.markdown(f"**{plain(user.id)}**　{role_label(user.role)}")
        if user.vendor_id:
            vendor = get_store().get(Vendor, user.vendor_id)
            st.caption(plain(vendor.name) if vendor else plain(user.vendor_id))
        if user.role == "it_office":
            for note in get_store().recoveries():  # repairs of the last 30 days, also in the log
                label = RECOVERY.get(note["action"], note["action"])
                st.warning(f"資料夾自動復原 {note['at'][:16].replace('T', ' ')}：{label}")
        if st.button("登出", icon=":material/logout:", key="sign_out"):
            _session.end(get_store())
            st.rerun()
        idle_watch()


store = get_store()
if in_demo_mode(store):
    st.warning(
        "示範資料：帳號密碼公開，請勿輸入真實資料。正式使用前請以 "
        f"`{REMOVE_COMMAND}` 刪除示範帳號。",
        icon=":material/science:",
    )
user = current_user() or _session.adopt_sso_identity(store)
if user is None:
    pages = [st.Page("app_pages/login.py", title="登入", icon=":material/login:", default=True)]
elif user.must_change_password:  # a one-time password: nothing else until it is replaced
    sidebar(user)
    pages = [st.Page("app_pages/change_password.py", title="變更密碼", default=True)]
else:
    sidebar(user)
    pages = pages_for(user.role)
st.navigation(pages).run()
