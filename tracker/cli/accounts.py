"""``accounts``: the register of NIA system accounts (points 四–六).

``accounts list [--agency ID] [--json]`` lists accounts with their state and
the 5.3 removal deadline (``overdue`` when passed); ``accounts show ID
[--json]`` adds the step history, IP history and proxy authorisations.
"""

from __future__ import annotations

from tracker.cli import print_json
from tracker.services import account_changes, account_register


def register(sub) -> None:
    accounts = sub.add_parser("accounts", help="移民署系統帳號 NIA system accounts")
    actions = accounts.add_subparsers(
        dest="accounts_command", metavar="ACTION", parser_class=type(accounts)
    )
    listing = actions.add_parser("list", help="列出帳號 list accounts")
    listing.add_argument("--agency", help="機關代碼 agency id")
    listing.add_argument("--json", action="store_true", help="one JSON object")
    listing.set_defaults(func=run_list)
    show = actions.add_parser("show", help="帳號明細與歷程 one account with its history")
    show.add_argument("account_id")
    show.add_argument("--json", action="store_true", help="one JSON object")
    show.set_defaults(func=run_show)
    accounts.set_defaults(func=lambda args, settings: _usage(accounts))


def run_list(args, settings) -> int:
    from tracker.core import clock
    from tracker.core.errors import InvalidInput
    from tracker.domain.vendors import Agency
    from tracker.storage.backend import open_store

    store = open_store(settings)
    if args.agency and store.get(Agency, args.agency) is None:
        raise InvalidInput(f"查無機關 {args.agency}", f"unknown agency {args.agency!r}")
    today = clock.today()
    rows = [account_dict(a, today) for a in account_register.list_accounts(store, args.agency)]
    if args.json:
        print_json({"accounts": rows, "count": len(rows)})
        return 0
    for row in rows:
        due = (
            f"  註銷期限 {row['removal_due']}{'（逾期 overdue）' if row['removal_overdue'] else ''}"
            if row["removal_due"] and not row["removed_on"]
            else ""
        )
        print(
            f"{row['id']}  {row['agency_id']}  {row['unit']}  {row['holder']}  {row['state']}{due}"
        )
    if not rows:
        print("（無帳號 no accounts）")
    return 0


def run_show(args, settings) -> int:
    from tracker.core import clock
    from tracker.domain.accounts import NiaAccount
    from tracker.storage.backend import open_store
    from tracker.storage.codec import to_doc

    store = open_store(settings)
    account = store.require(NiaAccount, args.account_id)
    result = account_dict(account, clock.today()) | {
        "steps": [to_doc(s) for s in account_register.account_steps(store, account.id)],
        "ip_history": [to_doc(c) for c in account_changes.ip_history(store, account.id)],
        "proxy_authorizations": [
            to_doc(p) for p in account_changes.proxy_authorizations(store, account.id)
        ],
    }
    if args.json:
        print_json(result)
        return 0
    for key in (
        "id",
        "agency_id",
        "holder",
        "holder_id_masked",
        "unit",
        "login",
        "state",
        "legal_basis",
        "channels",
        "active_from",
        "ips",
        "holder_left_on",
        "removal_due",
        "removed_on",
    ):
        print(f"{key}: {result[key]}")
    for step in result["steps"]:
        print(
            f"  {step['at'][:16]}  {step['step']}  {step['decision']}  {step['by']}  {step['reason']}"
        )
    return 0


def account_dict(account, today) -> dict:
    """The account as plain JSON-ready values, with the 5.3 overdue flag (the ID digest, kept only
    for matching people, is left out)."""
    from tracker.services.account_departure import removal_overdue
    from tracker.storage.codec import to_doc

    doc = to_doc(account)
    doc.pop("holder_id_digest", None)
    return doc | {"removal_overdue": removal_overdue(account, today)}


def _usage(parser) -> int:
    import sys

    parser.print_help(sys.stderr)
    return 2
