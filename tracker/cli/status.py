"""``status [--json]``: the compliance table, and any repair the store made by itself lately.

A recovery (a torn log line cut, a table rebuilt from the log) of the last 30
days is listed after the table, and under ``recoveries`` in the JSON (the key
is left out when there is none).
"""

from __future__ import annotations

import json

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
    store = open_store(settings)
    report = compliance_report(store, today, vendor_id=args.vendor)
    recoveries = store.recoveries()
    if args.json:
        out = report_as_dict(report)
        if recoveries:  # only then: the output for an undamaged folder stays as it was
            out["recoveries"] = recoveries
        print_json(out)
    else:
        print(report_as_table(report))
        for note in recoveries:
            print(
                f"資料夾自動復原 store recovery: {note['at']} {note['action']} "
                f"{json.dumps(note['details'], ensure_ascii=False)}"
            )
    return 0
