"""``status [--json]``: the compliance table."""

from __future__ import annotations

from tracker.cli import print_json


def register(sub) -> None:
    status = sub.add_parser("status", help="合規狀態 compliance status")
    status.add_argument("--json", action="store_true", help="one JSON object")
    status.add_argument("--vendor", help="只顯示此廠商 only this vendor (id)")
    status.add_argument("--date", help="以此日期評估 evaluate as of this date (YYYY-MM-DD)")
    status.set_defaults(func=run_status)


def run_status(args, settings) -> int:
    from tracker.services.compliance import compliance_report
    from tracker.services.reports import report_as_dict, report_as_table
    from tracker.store import Store

    today = _parse_day(args.date) if args.date else None
    report = compliance_report(Store.open(settings), today, vendor_id=args.vendor)
    if args.json:
        print_json(report_as_dict(report))
    else:
        print(report_as_table(report))
    return 0


def _parse_day(text: str):
    from datetime import date

    from tracker.errors import InvalidInput

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"日期格式錯誤：{text}", f"not a date (YYYY-MM-DD): {text}") from None
