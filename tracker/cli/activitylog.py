"""``log verify [--anchor HASH]`` and ``log reseal --anchor HASH``: the activity log's hash chain (7.1).

``verify`` checks every line, the chain and the head (exit 0 intact, 1 not).
``--anchor`` also checks that the log still holds a hash recorded outside the
data folder (a backup manifest, an audit record, an auditor's package): a log
rewritten or cut back since then does not.  ``reseal`` writes a new head at
the log's end when the head was lost, only if every line chains and the log
holds the anchor; it is logged with the number of lines after the anchor.
"""

from __future__ import annotations

import re
import sys

from tracker.cli import print_json

_HASH = re.compile(r"^[0-9a-f]{64}$")


def register(sub) -> None:
    log = sub.add_parser("log", help="操作日誌 activity log")
    log_sub = log.add_subparsers(dest="log_command", metavar="ACTION", parser_class=type(log))
    verify = log_sub.add_parser("verify", help="驗證雜湊鏈 verify the hash chain")
    verify.add_argument("--json", action="store_true")
    verify.add_argument(
        "--anchor", type=_anchor, help="並確認日誌仍含此雜湊 also check the log holds this hash"
    )
    verify.set_defaults(func=run_verify)
    reseal = log_sub.add_parser(
        "reseal", help="鏈頭遺失時依錨點重寫鏈頭 write a lost head again, vouched by an anchor"
    )
    reseal.add_argument("--anchor", type=_anchor, required=True)
    reseal.set_defaults(func=run_reseal)


def _anchor(text: str) -> str:
    import argparse

    value = text.strip().lower()
    if not _HASH.match(value):
        raise argparse.ArgumentTypeError(
            "錨點須為 64 位十六進位雜湊 the anchor is a 64-digit hex hash"
        )
    return value


def run_verify(args, settings) -> int:
    from tracker.storage.backend import activity_log

    if not settings.database_url and not settings.data_dir.is_dir():
        print(
            f"錯誤 error: 找不到資料夾 data folder not found: {settings.data_dir}", file=sys.stderr
        )
        return 2
    with activity_log(settings) as log:
        result = log.verify()
        anchor_seq = log.holds(args.anchor) if args.anchor else None
    held = args.anchor is None or anchor_seq is not None
    if args.json:
        out = {
            "ok": result.ok and held,
            "lines": result.lines,
            "bad_line": result.line,
            "problem": result.problem_en or None,
            "problem_zh": result.problem_zh or None,
        }
        if args.anchor:
            out["anchor"] = {"hash": args.anchor, "seq": anchor_seq}
        print_json(out)
        return 0 if out["ok"] else 1
    if result.ok:
        print(f"操作日誌完整 activity log intact: {result.lines} lines")
    else:
        print(f"操作日誌驗證失敗：第 {result.line} 行 {result.problem_zh}", file=sys.stderr)
        print(
            f"activity log verification failed at line {result.line}: {result.problem_en}",
            file=sys.stderr,
        )
    if args.anchor and held:
        print(f"錨點位於第 {anchor_seq} 筆 anchor found at seq {anchor_seq}")
    elif args.anchor:
        print(
            "日誌不含此錨點：錨點記錄後日誌被改寫或截短 "
            "the log does not hold this anchor: rewritten or cut back since it was recorded",
            file=sys.stderr,
        )
    return 0 if result.ok and held else 1


def run_reseal(args, settings) -> int:
    from tracker.activitylog.log import ActivityLog, reseal
    from tracker.storage.backend import require_folder
    from tracker.storage.store import Store

    # the database moves its head in the transaction of each change: it has none to lose
    require_folder(settings, "重寫鏈頭", "log reseal")

    head, after = reseal(ActivityLog(settings.data_dir), args.anchor)
    store = Store.open(settings)
    store.record_event(
        actor="cli",
        action="log_head_resealed",
        details={"anchor": args.anchor, "lines_after_anchor": after, "seq": head.seq},
    )
    print(
        f"已重寫鏈頭 head written: {head.count} lines, seq {head.seq}; "
        f"{after} lines after the anchor"
    )
    return 0
