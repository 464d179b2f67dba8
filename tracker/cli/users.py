"""``users``: accounts of the web app (add, list, passwd, unlock, disable, enable).

``users add NAME --role ROLE [--vendor VENDOR] [--unit UNIT] [--email ADDRESS]`` takes the password from
``--password``, else from ``$TRACKER_NEW_PASSWORD``, else asks for it (twice)
when standard input is a terminal; with none of these it generates a strong
password and prints it once.  ``VENDOR`` is the vendor's id, name or 統一編號.
``users link NAME --issuer ISS --subject SUB`` binds the account to one
single sign-on identity (``unlink`` removes it); ``users email NAME ADDRESS``
stores the address a first single sign-on may link by (``""`` clears it);
``users unit NAME UNIT`` sets a unit head's own unit (the only one whose
applications it takes the first review of; required by ``add --role unit_head``).
Errors are one line on stderr and a non-zero exit (see :mod:`tracker.cli`).
"""

from __future__ import annotations

import getpass
import os
import secrets
import sys

from tracker.cli import print_json
from tracker.core.errors import InvalidInput
from tracker.domain.vendors import Vendor
from tracker.storage.backend import open_store

PASSWORD_ENV = "TRACKER_NEW_PASSWORD"
ACTOR = "cli"


def register(sub) -> None:
    users = sub.add_parser("users", help="網站帳號 web app accounts")
    actions = users.add_subparsers(dest="users_command", metavar="ACTION", parser_class=type(users))
    add = actions.add_parser("add", help="新增帳號 add an account")
    add.add_argument("username")
    add.add_argument(
        "--role", required=True, help="it_office, manager, account_admin, unit_head, vendor"
    )
    add.add_argument("--vendor", help="廠商代碼、名稱或統一編號 vendor id, name or business number")
    add.add_argument("--unit", default="", help="使用單位主管之所屬單位 a unit head's unit")
    add.add_argument("--email", default="", help="單一登入用電子郵件 e-mail for single sign-on")
    add.add_argument("--password", help=f"密碼（或用環境變數 {PASSWORD_ENV}）")
    add.set_defaults(func=run_add)
    listing = actions.add_parser("list", help="列出帳號 list accounts")
    listing.add_argument("--json", action="store_true", help="JSON output")
    listing.set_defaults(func=run_list)
    passwd = actions.add_parser("passwd", help="重設密碼 set a new password")
    passwd.add_argument("username")
    passwd.add_argument("--password")
    passwd.set_defaults(func=run_passwd)
    for name, help_text, func in (
        ("unlock", "解除鎖定 unlock", run_unlock),
        ("disable", "停用帳號 disable", run_disable),
        ("enable", "重新啟用 enable again", run_enable),
    ):
        parser = actions.add_parser(name, help=help_text)
        parser.add_argument("username")
        parser.set_defaults(func=func)
    link = actions.add_parser("link", help="綁定單一登入身分 bind a single sign-on identity")
    link.add_argument("username")
    link.add_argument("--issuer", required=True, help="ID token 的 iss（簽發者）")
    link.add_argument("--subject", required=True, help="ID token 的 sub（主體）")
    link.set_defaults(func=run_link)
    unlink = actions.add_parser("unlink", help="解除單一登入綁定 remove the binding")
    unlink.add_argument("username")
    unlink.set_defaults(func=run_unlink)
    email = actions.add_parser("email", help="設定電子郵件 set the e-mail address")
    email.add_argument("username")
    email.add_argument("address", help='電子郵件；"" 表示清除 the address, "" to clear')
    email.set_defaults(func=run_email)
    unit = actions.add_parser("unit", help="設定使用單位主管之單位 set a unit head's unit")
    unit.add_argument("username")
    unit.add_argument(
        "unit", help="單位名稱，與帳號申請之使用單位相同 the unit, as on applications"
    )
    unit.set_defaults(func=run_unit)
    users.set_defaults(func=lambda args, settings: _usage(users))


def run_add(args, settings) -> int:
    from tracker.services import users

    store = open_store(settings)
    vendor_id = users.find_vendor(store, args.vendor).id if args.vendor else None
    # everything but the password is checked before asking for one
    fields = dict(role=args.role, vendor_id=vendor_id, email=args.email, unit=args.unit)
    users.check_new_user(store, username=args.username, **fields)
    password, generated = _new_password(args.password)
    user = users.create_user(
        store,
        ACTOR,
        username=args.username,
        password=password,
        **fields,
    )
    print(f"已建立帳號 created {user.id} ({user.role})")
    if generated:
        print(f"初始密碼（只顯示這一次）initial password, shown once: {password}")
    return 0


def run_list(args, settings) -> int:
    from tracker.services import users

    store = open_store(settings)
    names = {v.id: v.name for v in store.all(Vendor)}
    rows = [
        {
            "username": u.id,
            "role": u.role,
            "vendor": names.get(u.vendor_id) if u.vendor_id else None,
            "vendor_id": u.vendor_id,
            "email": u.email or None,
            "unit": u.unit or None,
            "disabled": u.disabled,
            "locked_until": u.locked_until.isoformat() if u.locked_until else None,
            "sso_issuer": u.sso_issuer or None,
            "sso_subject_sha256": u.sso_subject_hash or None,
        }
        for u in users.list_users(store)
    ]
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        state = "停用 disabled" if row["disabled"] else ""
        print(f"{row['username']:<24}{row['role']:<15}{row['vendor'] or '':<20}{state}")
    return 0


def run_passwd(args, settings) -> int:
    from tracker.services import users

    store = open_store(settings)
    users.require_user(store, args.username)
    password, generated = _new_password(args.password)
    users.set_password(store, ACTOR, args.username, password)
    print(f"已更新密碼 password set for {args.username}")
    if generated:
        print(f"新密碼（只顯示這一次）new password, shown once: {password}")
    return 0


def run_unlock(args, settings) -> int:
    from tracker.services import users

    users.unlock_user(open_store(settings), ACTOR, args.username)
    print(f"已解除鎖定 unlocked {args.username}")
    return 0


def run_disable(args, settings) -> int:
    from tracker.services import users

    users.set_disabled(open_store(settings), ACTOR, args.username, True)
    print(f"已停用 disabled {args.username}")
    return 0


def run_enable(args, settings) -> int:
    from tracker.services import users

    users.set_disabled(open_store(settings), ACTOR, args.username, False)
    print(f"已重新啟用 enabled {args.username}")
    return 0


def run_link(args, settings) -> int:
    from tracker.services import sso

    user = sso.link(
        open_store(settings), ACTOR, args.username, issuer=args.issuer, subject=args.subject
    )
    print(
        f"已綁定單一登入身分 linked {user.id} to {user.sso_issuer} (subject SHA-256 {user.sso_subject_hash[:12]}…)"
    )
    return 0


def run_unlink(args, settings) -> int:
    from tracker.services import sso

    sso.unlink(open_store(settings), ACTOR, args.username)
    print(f"已解除單一登入綁定 unlinked {args.username}")
    return 0


def run_email(args, settings) -> int:
    from tracker.services import users

    user = users.set_email(open_store(settings), ACTOR, args.username, args.address)
    print(f"已設定電子郵件 e-mail of {user.id}: {user.email or '（無 none）'}")
    return 0


def run_unit(args, settings) -> int:
    from tracker.services import users

    user = users.set_unit(open_store(settings), ACTOR, args.username, args.unit)
    print(f"已設定單位 unit of {user.id}: {user.unit}")
    return 0


def _new_password(given: str | None) -> tuple[str, bool]:
    """(password, generated): the option, the environment, a prompt on a terminal, or a new one."""
    from tracker.services.users import validate_password

    if given:
        return validate_password(given), False
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return validate_password(from_env), False
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass("新密碼 new password: ")
        if first != getpass.getpass("再輸入一次 again: "):
            raise InvalidInput("兩次輸入的密碼不同", "the two passwords differ")
        return validate_password(first), False
    return secrets.token_urlsafe(18), True


def _usage(parser) -> int:
    parser.print_help(sys.stderr)
    return 2
