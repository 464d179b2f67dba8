"""``store copy --to URL``: the data folder moved into an empty PostgreSQL database, then compared.

Copies the folder named by ``TRACKER_DATA_DIR`` (records, the activity log
line for line, the meta) into the empty database of URL, then runs ``status
--json`` and ``log verify --json`` on both and prints the comparison: exit 0
when both give the same answers, 1 when not, 2 when refused (a non-empty
database, a log that does not verify, a bad URL).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import replace

from tracker.cli import print_json


def register_copy(actions) -> None:
    copy = actions.add_parser(
        "copy",
        help="把資料夾複製到空的 PostgreSQL 資料庫並比對 copy the folder into an empty database",
    )
    copy.add_argument("--to", required=True, metavar="URL", help="postgresql://… (空的資料庫)")
    copy.add_argument("--json", action="store_true", help="one JSON object")
    copy.set_defaults(func=run_copy)


def run_copy(args, settings) -> int:
    from tracker.core import clock
    from tracker.storage.pg_admin import copy_folder
    from tracker.storage.store import Store

    folder = replace(settings, database_url=None)
    target = replace(settings, database_url=args.to)
    source = Store.open(folder)
    summary = copy_folder(source, args.to)
    day = clock.today().isoformat()  # one day for both reports, whatever the clock does meanwhile
    sides = {"folder": _answers(folder, day), "database": _answers(target, day)}
    same = {
        "status": sides["folder"]["status"] == sides["database"]["status"],
        "log_verify": sides["folder"]["log_verify"] == sides["database"]["log_verify"],
    }
    if same["log_verify"] and sides["database"]["log_verify"]["answer"].get("ok"):
        _remember_verified(target)
    result = {
        "copied": {
            "records": summary.records,
            "log_lines": summary.lines,
            "head": {
                "count": summary.head.count,
                "seq": summary.head.seq,
                "hash": summary.head.hash,
            },
            "database": summary.where,
        },
        "folder": sides["folder"],
        "database": sides["database"],
        "same": same,
        "identical": all(same.values()),
    }
    if args.json:
        print_json(result)
    else:
        _print_comparison(result)
    return 0 if result["identical"] else 1


def _answers(settings, day: str) -> dict:
    """``status --json --date DAY`` and ``log verify --json`` on ``settings``, as an operator runs them."""
    status = _run(settings, "status", "--json", "--date", day)
    verify = _run(settings, "log", "verify", "--json")
    return {
        "status": {
            "exit": status.returncode,
            "sha256": hashlib.sha256(status.stdout.encode()).hexdigest(),
            "bytes": len(status.stdout.encode()),
        },
        "log_verify": {"exit": verify.returncode, "answer": _json_or_text(verify.stdout)},
    }


def _run(settings, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.update(
        TRACKER_DATA_DIR=str(settings.data_dir),
        TRACKER_EVIDENCE_DIR=str(settings.evidence_dir),
        TRACKER_TRUST_DIR=str(settings.trust_dir),
    )
    env.pop("TRACKER_DATABASE_URL", None)
    if settings.database_url:
        env["TRACKER_DATABASE_URL"] = settings.database_url
    return subprocess.run(
        [sys.executable, "-m", "tracker", *args], env=env, capture_output=True, text=True
    )


def _json_or_text(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return {"output": text.strip()}


def _remember_verified(settings) -> None:
    """Let the first report on the database check only later lines (see pg_verify)."""
    from tracker.storage.backend import open_store

    store = open_store(settings)
    store.log_intact()
    store.close()


def _print_comparison(result: dict) -> None:
    copied, same = result["copied"], result["same"]
    print(
        f"已複製 copied into {copied['database']}: {copied['records']} 筆紀錄 records, "
        f"{copied['log_lines']} 行操作日誌 log lines (seq {copied['head']['seq']})"
    )
    for key, label in (("status", "status --json"), ("log_verify", "log verify")):
        folder, database = result["folder"][key], result["database"][key]
        mark = "相同 same" if same[key] else "不同 DIFFERENT"
        print(f"  {label:<14} 資料夾 folder   {_describe(key, folder)}")
        print(f"  {'':<14} 資料庫 database {_describe(key, database)}  → {mark}")
    if result["identical"]:
        print("比對結果：兩邊相同 both give the same answers")
    else:
        print(
            "比對結果：兩邊不同，請勿切換至資料庫 the answers differ; do not switch",
            file=sys.stderr,
        )


def _describe(key: str, side: dict) -> str:
    if key == "status":
        return f"exit {side['exit']}, {side['bytes']} bytes, sha256 {side['sha256'][:16]}…"
    answer = side["answer"]
    if "ok" in answer:
        return f"exit {side['exit']}, ok={answer['ok']}, {answer.get('lines')} lines"
    return f"exit {side['exit']}, {answer.get('output', '')[:80]}"
