"""``store migrate | check | rebuild | copy``: the store's upgrade, consistency check, rebuild, move.

``migrate`` upgrades the data folder (the verified backup first), or the
PostgreSQL database when ``TRACKER_DATABASE_URL`` is set.  ``check`` exits 0
when every table, evidence file and query-log import matches the activity log,
1 with one line per difference on stderr; ``rebuild`` rewrites every table
from the log (and the base snapshot a purge left) — the folder's only: a
database's rows are not a checkpoint of the log.  ``copy`` is in
:mod:`tracker.cli.store_copy`.
"""

from __future__ import annotations

from tracker.cli import print_json
from tracker.cli.store_copy import register_copy


def register(sub) -> None:
    store = sub.add_parser("store", help="資料夾維護 data folder maintenance")
    actions = store.add_subparsers(dest="store_command", metavar="ACTION", parser_class=type(store))
    migrate = actions.add_parser(
        "migrate", help="升級資料結構（先寫入並驗證備份） upgrade the schema, backup first"
    )
    migrate.add_argument("--json", action="store_true", help="one JSON object")
    migrate.set_defaults(func=run_migrate)
    register_checks(actions)
    register_copy(actions)


def run_migrate(args, settings) -> int:
    if settings.database_url:
        return _migrate_database(args, settings)
    from tracker.ops.upgrade import upgrade
    from tracker.storage import migrations

    archive = upgrade(settings)
    result = {
        "schema": migrations.folder_schema(settings.data_dir) or migrations.SCHEMA_VERSION,
        "backup": str(archive) if archive else None,
    }
    if args.json:
        print_json(result)
    elif archive:
        print(
            f"已升級至第 {result['schema']} 版 upgraded to schema {result['schema']}; backup {archive}"
        )
    else:
        print(f"資料結構已是最新（第 {result['schema']} 版） schema {result['schema']} is current")
    return 0


def _migrate_database(args, settings) -> int:
    from tracker.storage.backend import open_store
    from tracker.storage.pg_admin import migrate_database

    before, reached = migrate_database(settings.database_url)
    store = open_store(settings)
    for version in reached:
        store.record_event(
            actor="cli",
            action="schema_migrated",
            details={"backend": "postgresql", "from": version - 1, "to": version},
        )
    schema = reached[-1] if reached else before
    if args.json:
        print_json({"schema": schema, "applied": reached, "backup": None})
    elif reached and before:
        print(f"資料庫已升級至第 {schema} 版 database upgraded to schema {schema}")
    elif reached:
        print(f"已建立資料庫結構（第 {schema} 版） database schema {schema} created")
    else:
        print(f"資料庫結構已是最新（第 {schema} 版） database schema {schema} is current")
    store.close()
    return 0


def register_checks(actions) -> None:
    check = actions.add_parser(
        "check",
        help="資料一致性檢查：資料表、佐證檔案、查詢紀錄對照操作日誌 compare tables, files, imports with the log",
    )
    check.add_argument("--json", action="store_true", help="one JSON object")
    check.set_defaults(func=run_check)
    rebuild = actions.add_parser(
        "rebuild", help="由操作日誌重建所有資料表 rebuild every table from the log"
    )
    rebuild.add_argument("--json", action="store_true", help="one JSON object")
    rebuild.set_defaults(func=run_rebuild)


def run_check(args, settings) -> int:
    import sys

    from tracker.querylog.store import LogStore
    from tracker.storage.blobs import BlobStore
    from tracker.storage.check import check_store
    from tracker.storage.store import Store

    blobs, logs = BlobStore(settings.evidence_dir), LogStore(settings.data_dir / "query-logs")
    if settings.database_url:
        from tracker.storage.backend import open_store
        from tracker.storage.pg_check import check_database

        result = check_database(open_store(settings), blobs, logs)
    else:
        _require_folder(settings)
        result = check_store(Store.open(settings), blobs, logs)
    if args.json:
        print_json(
            {
                "ok": result.ok,
                "tables": result.tables,
                "records": result.records,
                "files": result.files,
                "log_lines": result.log_lines,
                "differences": [
                    {"where": d.where, "problem": d.en, "problem_zh": d.zh}
                    for d in result.differences
                ],
            }
        )
    elif result.ok:
        print(
            f"資料一致 store consistent: {result.tables} tables, {result.records} records, "
            f"{result.files} files, {result.log_lines} log lines"
        )
    for difference in result.differences if not args.json else ():
        print(difference.line(), file=sys.stderr)
    return 0 if result.ok else 1


def run_rebuild(args, settings) -> int:
    from tracker.storage.backend import require_folder
    from tracker.storage.store import Store

    require_folder(settings, "由日誌重建資料表", "store rebuild")
    _require_folder(settings)
    store = Store.open(settings)
    summary = store.rebuild(actor="cli")
    if args.json:
        print_json(summary)
    else:
        print(
            f"已由操作日誌重建資料表 tables rebuilt from the log: {summary['tables']} tables, "
            f"{summary['records']} records (log seq {summary['seq']})"
        )
    return 0


def _require_folder(settings) -> None:
    from tracker.core.errors import InvalidInput

    if not (settings.data_dir / "meta.json").is_file():
        raise InvalidInput(
            f"找不到資料夾 {settings.data_dir}", f"data folder not found: {settings.data_dir}"
        )
