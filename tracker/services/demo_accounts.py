"""The demo accounts of a demo folder, and keeping a demo folder from quietly becoming production.

``python -m tracker demo seed`` writes demo data and the six accounts of
:data:`DEMO_USERS`, all with the public :data:`DEMO_PASSWORD`, and marks the
folder ``demo`` in its meta (:func:`tracker.services.users.seed_demo_users`).  While it is marked, the sign-in page lists the
demo usernames, every page says so, and no real account or vendor may be added
(:func:`refuse_in_demo_folder`): otherwise real data would sit beside accounts
whose password anyone can read.  :func:`remove_demo_accounts` (the command
``python -m tracker demo remove-accounts``) deletes the demo accounts, clears
the mark and logs it; from then on the folder behaves as any other.
"""

from __future__ import annotations

from tracker.core.errors import InvalidInput
from tracker.domain.users import AppUser
from tracker.storage.store import Store

DEMO_PASSWORD = "demo-password"
DEMO_USERS = (
    ("it.office", "it_office", None),
    ("manager", "manager", None),
    ("account.admin", "account_admin", None),
    ("unit.head", "unit_head", None),
    ("vendor.a", "vendor", "v-a"),
    ("vendor.b", "vendor", "v-b"),
)
DEMO_UNITS = {"unit.head": "社會救助科"}  # the demo unit head's own unit (its applications' unit)
REMOVE_COMMAND = "python -m tracker demo remove-accounts"


def in_demo_mode(store: Store) -> bool:
    """True while the folder is marked demo and one of its public demo accounts still exists.

    The accounts are asked too, not only the mark: another process (the CLI's
    ``demo remove-accounts``) deletes them, and every process sees the tables
    change at once, while the folder's meta is read when a store is opened.
    """
    return store.meta.get("demo") is True and any(
        store.get(AppUser, username) is not None for username, _, _ in DEMO_USERS
    )


def refuse_in_demo_folder(store: Store, what_zh: str, what_en: str) -> None:
    """Raise InvalidInput naming the command that ends demo mode, if the folder is a demo folder."""
    if in_demo_mode(store):
        raise InvalidInput(
            f"此資料夾為示範資料，示範帳號的密碼是公開的：不得{what_zh}。"
            f"若要正式使用，請先執行「{REMOVE_COMMAND}」刪除示範帳號",
            f"this is a demo folder whose demo accounts have a public password; "
            f"run '{REMOVE_COMMAND}' before you {what_en}",
        )


def remove_demo_accounts(store: Store, actor: str) -> list[str]:
    """Delete the demo accounts and end demo mode; returns the usernames deleted (logged).

    Refused (InvalidInput) in a folder that is not in demo mode, so that a real
    account that happens to be named ``manager`` is never deleted.
    """
    if store.meta.get("demo") is not True:
        raise InvalidInput("此資料夾不是示範資料，沒有示範帳號可刪除", "not a demo folder")
    with store.locked():
        removed = []
        for username, _, _ in DEMO_USERS:
            if store.get(AppUser, username) is not None:
                store.delete(AppUser, username, actor=actor, action="demo_account_removed")
                removed.append(username)
        store.set_meta(demo=False, demo_accounts_removed=True)
        store.record_event(
            actor=actor, action="demo_mode_ended", details={"removed_accounts": removed}
        )
    return removed
