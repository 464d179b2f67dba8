"""``backup create|verify|restore``: one verifiable archive of the data, the evidence and the log.

Exit codes: 0 done / intact; 1 ``verify`` or ``restore`` found the archive
damaged (one line per problem on stderr); 2 refused (existing output file,
non-empty restore target, bad arguments) with a one-line message.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tracker.cli import print_json


def register(sub) -> None:
    backup = sub.add_parser("backup", help="備份與還原 backup and restore")
    actions = backup.add_subparsers(
        dest="backup_command", metavar="ACTION", parser_class=type(backup)
    )
    create = actions.add_parser("create", help="建立備份檔 write one archive")
    create.add_argument(
        "--out",
        required=True,
        help="備份檔（.zip）或既有資料夾 archive file (.zip) or an existing folder",
    )
    create.add_argument("--json", action="store_true")
    create.set_defaults(func=run_create)
    verify = actions.add_parser("verify", help="驗證備份檔 verify an archive")
    verify.add_argument("file")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(func=run_verify)
    restore = actions.add_parser("restore", help="還原至空資料夾 restore into empty folders")
    restore.add_argument("file")
    restore.add_argument("--json", action="store_true")
    restore.set_defaults(func=run_restore)


def run_create(args, settings) -> int:
    from tracker.ops.backup import create_backup, default_name

    out = Path(args.out)
    if out.is_dir():
        out = out / default_name()
    summary = create_backup(settings, out, actor="cli")
    if args.json:
        print_json(
            {
                "file": str(summary.path),
                "files": summary.files,
                "bytes": summary.bytes,
                "schema": summary.schema,
                "created": summary.created,
                "seconds": summary.seconds,
                "activity_log": {
                    "count": summary.head.count,
                    "seq": summary.head.seq,
                    "hash": summary.head.hash,
                },
                "skipped": list(summary.skipped),
            }
        )
    else:
        print(
            f"已建立備份 backup written: {summary.path} ({summary.files} files, "
            f"{summary.bytes / 1e6:.1f} MB, log seq {summary.head.seq}, {summary.seconds:.1f} s)"
        )
    for name in summary.skipped:
        print(
            f"警告 warning: 未備份（符號連結或不安全檔名）not backed up (symlink or unsafe name): {name}",
            file=sys.stderr,
        )
    return 0


def run_verify(args, settings) -> int:
    from tracker.ops.backupkey import existing_backup_key
    from tracker.ops.verify import verify_backup

    check = verify_backup(Path(args.file), existing_backup_key(settings))
    if args.json:
        print_json({"ok": check.ok, "files": check.files, "problems": check.problems})
    elif check.ok:
        head = check.manifest["activity_log"]
        print(
            f"備份完整 backup intact: {check.files} files, created {check.manifest.get('created')}, "
            f"log seq {head.get('seq')}"
        )
    for line in check.problems if not args.json else ():
        print(line, file=sys.stderr)
    return 0 if check.ok else 1


def run_restore(args, settings) -> int:
    from tracker.ops.restore import BackupInvalid, restore_backup

    try:
        summary = restore_backup(Path(args.file), settings, actor="cli")
    except BackupInvalid as exc:
        for line in exc.problems:
            print(line, file=sys.stderr)
        print(f"錯誤 error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print_json(
            {
                "files": summary.files,
                "bytes": summary.bytes,
                "schema": summary.schema,
                "created": summary.created,
                "data_dir": str(summary.data_dir),
                "evidence_dir": str(summary.evidence_dir),
            }
        )
    else:
        print(
            f"已還原 restored {summary.files} files (backup of {summary.created}) into "
            f"{summary.data_dir} and {summary.evidence_dir}"
        )
    return 0
