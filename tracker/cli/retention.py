"""``retention report|purge``: records past their keeping period (points 6.2, 7.1, 7.2).

``report`` lists them (exit 0).  ``purge --before DATE`` without ``--yes`` is a
dry run: it prints what it would remove and changes nothing, exiting 1 when
something awaits purging and 0 when nothing does (so a scheduled check can
alert, like ``git diff --exit-code``).  With ``--yes`` it removes them and
exits 0.  A DATE later than today − 5 years is refused (exit 2).
"""

from __future__ import annotations

from tracker.cli import DAY_HELP, day, print_json


def register(sub) -> None:
    retention = sub.add_parser("retention", help="保存期限 retention")
    actions = retention.add_subparsers(
        dest="retention_command", metavar="ACTION", parser_class=type(retention)
    )
    report = actions.add_parser("report", help="列出逾保存期限的資料 list what is past retention")
    report.add_argument("--json", action="store_true")
    report.add_argument(
        "--date", type=day, help=f"以此日期為今天 evaluate as of this date ({DAY_HELP})"
    )
    report.set_defaults(func=run_report)
    purge = actions.add_parser("purge", help="刪除逾保存期限的資料 remove what is past retention")
    purge.add_argument(
        "--before",
        required=True,
        type=day,
        help=f"只刪除此日期之前的資料 only records dated before this day ({DAY_HELP})",
    )
    purge.add_argument(
        "--yes", action="store_true", help="確認執行 really remove (otherwise a dry run)"
    )
    purge.add_argument("--json", action="store_true")
    purge.set_defaults(func=run_purge)


def run_report(args, settings) -> int:
    from tracker.ops.retention_report import retention_report
    from tracker.storage.backend import open_store

    report = retention_report(open_store(settings), args.date)
    if args.json:
        print_json(report.as_dict())
        return 0
    print(f"逾保存期限 past retention as of {report.today.isoformat()}: {len(report.items)} items")
    for item in report.items:
        print(
            f"  {item.category:<13} {item.id:<24} since {item.since}  kept until {item.keep_until}  {item.detail}"
        )
    for note in report.notes:
        print(f"  注意 note: {note}")
    return 0


def run_purge(args, settings) -> int:
    from tracker.ops.retention import plan_purge, purge
    from tracker.storage.backend import open_blobs, open_store

    before = args.before
    store = open_store(settings)
    if args.yes:
        result = purge(store, open_blobs(settings), before, actor="cli")
    else:
        result = plan_purge(store, before)
    if args.json:
        print_json(
            {
                "done": result.done,
                "before": before.isoformat(),
                "items": [i.as_dict() for i in result.items],
                "files_removed": result.files_removed,
                "log_lines": result.log_lines,
            }
        )
    else:
        verb = (
            "已刪除 removed"
            if result.done
            else "將刪除（未執行，加 --yes 確認）would remove (dry run; add --yes)"
        )
        print(f"{verb}: {len(result.items)} items dated before {before.isoformat()}")
        for item in result.items:
            print(f"  {item.category:<13} {item.id:<24} since {item.since}  {item.detail}")
        if result.done:
            print(
                f"  檔案 files removed: {result.files_removed}; 日誌行 log lines replaced by an anchor: "
                f"{result.log_lines}"
            )
    return 0 if result.done or not result.items else 1
