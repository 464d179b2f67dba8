"""``log verify``: check the activity log's hash chain (point 7.1)."""

from __future__ import annotations

import sys

from tracker.cli import print_json


def register(sub) -> None:
    log = sub.add_parser("log", help="操作日誌 activity log")
    log_sub = log.add_subparsers(dest="log_command", metavar="ACTION", parser_class=type(log))
    verify = log_sub.add_parser("verify", help="驗證雜湊鏈 verify the hash chain")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(func=run_verify)


def run_verify(args, settings) -> int:
    from tracker.storage.backend import verify_log

    result = verify_log(settings)
    if args.json:
        print_json(
            {
                "ok": result.ok,
                "lines": result.lines,
                "bad_line": result.line,
                "problem": result.problem_en or None,
                "problem_zh": result.problem_zh or None,
            }
        )
    elif result.ok:
        print(f"操作日誌完整 activity log intact: {result.lines} lines")
    else:
        print(f"操作日誌驗證失敗：第 {result.line} 行 {result.problem_zh}", file=sys.stderr)
        print(
            f"activity log verification failed at line {result.line}: {result.problem_en}",
            file=sys.stderr,
        )
    return 0 if result.ok else 1
