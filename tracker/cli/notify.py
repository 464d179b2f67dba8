"""``notify run [--date D] [--dry-run] [--json]``: the day's reminders and the queued notices.

Exit codes: 0 everything due was sent (or nothing was due; a dry run), 1 the
mail server was down or refused something (one line on stderr; nothing it
did not accept is marked sent), 2 no mail server configured (``TRACKER_SMTP_URL``)
or a bad setting or argument (nothing written).  With ``--json`` stdout holds exactly one JSON
array; notes and errors go to stderr.
"""

from __future__ import annotations

import sys

from tracker.cli import DAY_HELP, day, print_json
from tracker.core.dates import roc_short

EXIT_SEND_FAILED = 1


def register(sub) -> None:
    notify = sub.add_parser("notify", help="到期提醒與通知 e-mail reminders and notices")
    notify_sub = notify.add_subparsers(
        dest="notify_command", metavar="ACTION", parser_class=type(notify)
    )
    run = notify_sub.add_parser("run", help="寄出今天的提醒與待寄郵件 send today's reminders")
    run.add_argument(
        "--date", type=day, help=f"以此日期產生提醒 remind as of this day ({DAY_HELP})"
    )
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="只列出將寄出的郵件，不寄出、不寫入 list what would be sent; send and write nothing",
    )
    run.add_argument("--json", action="store_true", help="one JSON array on stdout")
    run.set_defaults(func=run_notify)


def run_notify(args, settings) -> int:
    from tracker.core import clock
    from tracker.services.notifications import as_json, run
    from tracker.storage.backend import open_store

    the_day = args.date or clock.today()
    result = run(open_store(settings), the_day, dry_run=args.dry_run, actor="cli")
    if args.json:
        print_json(as_json(result.plan, result.report))
    else:
        _print_human(result, the_day)
    report = result.report
    if report is None or report.ok:
        return 0
    zh, en = report.problem()
    print(f"錯誤 error: {zh} ({en})", file=sys.stderr)
    return EXIT_SEND_FAILED


def _print_human(result, the_day) -> None:
    from tracker.notify.addresses import AUDIENCE_LABELS

    plan, report = result.plan, result.report
    sent = {m.id for m in report.sent} if report else set()
    verb = "將寄出 would send" if report is None else None
    print(f"{roc_short(the_day)}（{the_day.isoformat()}）：{len(plan.messages)} 封 messages")
    for message, _content in plan.messages:
        status = verb or ("已寄出 sent" if message.id in sent else "未寄出 not sent")
        print(f"  {status}  {', '.join(message.to)}  {message.subject}  ({message.item_count} 項)")
    for audience, name, count in plan.unreachable:
        print(f"  未設定信箱 no address: {name} {AUDIENCE_LABELS[audience]}（{count} 項未通知）")
    for message in plan.waiting:
        why = "無收件者 no recipient" if not message.to else "稍後重試 backing off"
        print(f"  待寄 queued ({why}): {message.subject}")
