"""``logs``: NIA query-log exports kept for the self-audit (points 7.1, 7.2).

``logs import FILE --agency ID [--json]`` checks the export (CSV or XLSX),
stores its rows for the agency, keeps the original file by SHA-256 and prints
a summary: rows, period and SHA-256, the columns that were not recognised
(``unrecognised_columns``) and the final totals row that was skipped
(``totals_row``: ``{"line", "count"}`` or ``null``) (``--json``: one JSON object).  A file the
parser refuses, an unknown agency or a file already imported gives one line on
stderr and a non-zero exit; nothing is stored then.

``logs list --agency ID [--json]`` lists the agency's imports.
"""

from __future__ import annotations

from pathlib import Path

from tracker.cli import print_json

ACTOR = "cli"


def register(sub) -> None:
    logs = sub.add_parser("logs", help="查詢紀錄 NIA query logs (7.2)")
    actions = logs.add_subparsers(dest="logs_command", metavar="ACTION", parser_class=type(logs))
    imp = actions.add_parser("import", help="匯入查詢紀錄檔 import an export (CSV/XLSX)")
    imp.add_argument("file", type=Path, help="NIA query-log export")
    imp.add_argument("--agency", required=True, help="機關代碼 agency id")
    imp.add_argument(
        "--actor", default=ACTOR, help="記錄於操作日誌的操作者 actor for the activity log"
    )
    imp.add_argument("--json", action="store_true", help="one JSON object")
    imp.set_defaults(func=run_import)
    listing = actions.add_parser("list", help="列出已匯入檔案 list imports")
    listing.add_argument("--agency", required=True, help="機關代碼 agency id")
    listing.add_argument("--json", action="store_true", help="one JSON object")
    listing.set_defaults(func=run_list)
    logs.set_defaults(func=lambda args, settings: _usage(logs))


def run_import(args, settings) -> int:
    from tracker.services.log_imports import import_query_log
    from tracker.storage.backend import open_blobs, open_store

    data = _read(args.file)
    store = open_store(settings)
    record = import_query_log(
        store,
        _logstore(settings),
        open_blobs(settings),
        args.actor,
        agency_id=args.agency,
        data=data,
        filename=args.file.name,
    )
    summary = _summary(record)
    if args.json:
        print_json(summary)
    else:
        print(f"已匯入 imported: {summary['rows']} 筆 rows，機關 agency {summary['agency_id']}")
        print(
            f"期間 period: {summary['first_queried_at'] or '—'} – {summary['last_queried_at'] or '—'}"
        )
        print(f"sha256: {summary['sha256']}")
        for line in import_notes(summary["unrecognised_columns"], summary["totals_row"]):
            print(line)
    return 0


def import_notes(unrecognised: list[str], totals: dict | None) -> list[str]:
    """Lines telling what an import left out: unrecognised columns, the skipped totals row."""
    notes = []
    if unrecognised:
        names = "、".join(unrecognised)
        notes.append(f"未辨識的欄位（未匯入，原檔保留） unrecognised columns: {names}")
    if totals:
        notes.append(
            f"第 {totals['line']} 行為合計列（{totals['count']:,} 筆，與筆數相符），已略過 "
            f"totals row on line {totals['line']} skipped"
        )
    return notes


def run_list(args, settings) -> int:
    from tracker.core.errors import InvalidInput
    from tracker.domain.vendors import Agency
    from tracker.services.log_imports import list_imports
    from tracker.storage.backend import open_store

    store = open_store(settings)
    if store.get(Agency, args.agency) is None:
        raise InvalidInput(f"查無機關 {args.agency}", f"unknown agency {args.agency!r}")
    imports = [_summary(r) for r in list_imports(store, args.agency)]
    if args.json:
        print_json({"agency_id": args.agency, "imports": imports})
        return 0
    for item in imports:
        print(
            f"{item['imported_at'][:16]}  {item['rows']:>9} 筆  "
            f"{item['first_queried_at'] or '—'} – {item['last_queried_at'] or '—'}  {item['filename']}  "
            f"{item['sha256'][:12]}"
        )
    if not imports:
        print("（尚無匯入 no imports）")
    return 0


def _read(path: Path) -> bytes:
    from tracker.core.errors import InvalidInput

    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(
            f"無法讀取檔案 {path}（{exc.strerror}）", f"cannot read file {path}: {exc.strerror}"
        ) from None


def _logstore(settings):
    from tracker.services.log_imports import log_store

    return log_store(settings)


def _summary(record) -> dict:
    def iso(value):
        return value.isoformat(sep=" ") if value else None

    return {
        "import_id": record.id,
        "agency_id": record.agency_id,
        "rows": record.rows,
        "first_queried_at": iso(record.first_queried_at),
        "last_queried_at": iso(record.last_queried_at),
        "sha256": record.sha256,
        "format": record.format,
        "filename": record.filename,
        "imported_by": record.imported_by,
        "imported_at": record.imported_at.isoformat(timespec="seconds"),
        "unrecognised_columns": list(record.unrecognised_columns),
        "totals_row": (
            {"line": record.totals_row_line, "count": record.totals_row_count}
            if record.totals_row_line is not None
            else None
        ),
    }


def _usage(parser) -> int:
    import sys

    parser.print_help(sys.stderr)
    return 2
