"""``demo seed``: realistic demo data for trying the app; ``demo remove-accounts``: end demo mode.

``demo remove-accounts [--json]`` deletes the six demo accounts (public
password) and clears the folder's demo mark, logged; until then a demo folder
refuses real accounts and vendors (:mod:`tracker.services.demo_accounts`).
"""

from __future__ import annotations

import sys

from tracker.cli import print_json


def register(sub) -> None:
    demo = sub.add_parser("demo", help="示範資料 demo data")
    demo_sub = demo.add_subparsers(dest="demo_command", metavar="ACTION", parser_class=type(demo))
    seed = demo_sub.add_parser("seed", help="寫入示範資料 seed demo data into the data folder")
    seed.add_argument(
        "--if-empty",
        action="store_true",
        help="資料夾已有資料時略過 skip quietly when the folder already holds data",
    )
    seed.add_argument("--json", action="store_true", help="JSON output")
    seed.set_defaults(func=run_seed)
    remove = demo_sub.add_parser(
        "remove-accounts", help="刪除示範帳號並結束示範模式 delete the demo accounts, end demo mode"
    )
    remove.add_argument("--json", action="store_true", help="JSON output")
    remove.set_defaults(func=run_remove_accounts)


def run_seed(args, settings) -> int:
    from demodata.seed import seed

    result = seed(settings, if_empty=args.if_empty)
    if args.json:
        print_json(result)
    elif result.get("skipped"):
        print(f"資料夾已有資料，未寫入示範資料 (data already present in {settings.data_dir})")
    else:
        print(f"已寫入示範資料 demo data seeded into {settings.data_dir}", file=sys.stdout)
    return 0


def run_remove_accounts(args, settings) -> int:
    from tracker.services.demo_accounts import remove_demo_accounts
    from tracker.storage.backend import open_store

    removed = remove_demo_accounts(open_store(settings), "cli")
    if args.json:
        print_json({"removed_accounts": removed, "demo": False})
    else:
        names = "、".join(removed) or "（無）"
        print(f"已刪除示範帳號 demo accounts removed: {names}；示範模式已結束 demo mode ended")
    return 0
