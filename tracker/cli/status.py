"""``status [--json]``: the compliance table."""

from __future__ import annotations

from tracker.cli import DAY_HELP, day, print_json


def register(sub) -> None:
    status = sub.add_parser("status", help="合規狀態 compliance status")
    status.add_argument("--json", action="store_true", help="one JSON object")
    status.add_argument("--vendor", help="只顯示此廠商 only this vendor (id)")
    status.add_argument(
        "--date", type=day, help=f"以此日期評估 evaluate as of this date ({DAY_HELP})"
    )
    status.set_defaults(func=run_status)


def run_status(args, settings) -> int:
    from tracker.services.compliance import compliance_report
    from tracker.services.reports import report_as_dict, report_as_table
    from tracker.storage.backend import open_store

    today = args.date
    report = compliance_report(open_store(settings), today, vendor_id=args.vendor)
    if args.json:
        print_json(report_as_dict(report))
    else:
        print(report_as_table(report))
    return 0
