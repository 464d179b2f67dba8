"""``package create``: the auditor's package for a period (see :mod:`tracker.ops.package`)."""

from __future__ import annotations

import sys
from pathlib import Path

from tracker.cli import DAY_HELP, day, print_json
from tracker.ops.package_selection import Period


def register(sub) -> None:
    package = sub.add_parser("package", help="稽核資料包 auditor's package")
    actions = package.add_subparsers(
        dest="package_command", metavar="ACTION", parser_class=type(package)
    )
    create = actions.add_parser("create", help="建立稽核資料包 write the ZIP")
    create.add_argument("--out", required=True, help="輸出檔 output file (.zip)")
    create.add_argument(
        "--from", dest="date_from", required=True, type=day, help=f"起日 first day ({DAY_HELP})"
    )
    create.add_argument(
        "--to",
        dest="date_to",
        required=True,
        type=day,
        help=f"迄日 last day, included ({DAY_HELP})",
    )
    scope = create.add_mutually_exclusive_group()
    scope.add_argument("--agency", help="只含此機關 only this agency (id)")
    scope.add_argument("--vendor", help="只含此廠商 only this vendor (id)")
    create.add_argument("--json", action="store_true")
    create.set_defaults(func=run_create)


def run_create(args, settings) -> int:
    from tracker.services.packages import create_package
    from tracker.storage.backend import open_blobs, open_store

    period = Period(args.date_from, args.date_to)
    store = open_store(settings)
    _, summary = create_package(
        store,
        open_blobs(settings),
        "cli",
        period,
        agency_id=args.agency,
        vendor_id=args.vendor,
        out=Path(args.out),
    )
    if args.json:
        print_json(
            {
                "file": str(summary.path),
                "evidence": summary.evidence,
                "audit_records": summary.audit_records,
                "log_lines": summary.log_lines,
                "file_problems": summary.file_problems,
                "bytes": summary.bytes,
            }
        )
    else:
        print(
            f"已建立稽核資料包 package written: {summary.path} ({summary.evidence} evidence, "
            f"{summary.audit_records} audit records, {summary.log_lines} log lines, "
            f"{summary.bytes / 1e6:.1f} MB)"
        )
    if summary.file_problems:
        print(
            f"警告 warning: {summary.file_problems} 件佐證檔案遺失或損毀，見 decisions.csv "
            f"({summary.file_problems} evidence files missing or damaged; see decisions.csv)",
            file=sys.stderr,
        )
    return 0
