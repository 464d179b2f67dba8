"""``store migrate``: the data folder's schema upgrade, with the verified backup first."""

from __future__ import annotations

from tracker.cli import print_json


def register(sub) -> None:
    store = sub.add_parser("store", help="資料夾維護 data folder maintenance")
    actions = store.add_subparsers(dest="store_command", metavar="ACTION")
    migrate = actions.add_parser(
        "migrate", help="升級資料結構（先寫入並驗證備份） upgrade the schema, backup first"
    )
    migrate.add_argument("--json", action="store_true", help="one JSON object")
    migrate.set_defaults(func=run_migrate)


def run_migrate(args, settings) -> int:
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
