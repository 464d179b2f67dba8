"""``demo seed``: realistic demo data for trying the app."""

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
