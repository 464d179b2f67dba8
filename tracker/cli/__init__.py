"""``python -m tracker``: the command-line front door to the services.

Each command group lives in its own module of this package and exposes
``register(subparsers)``; the handler it sets as ``func`` takes
``(args, settings)`` and returns the exit code.  ``main`` turns every
:class:`~tracker.core.errors.TrackerError` and every operating-system error (a
full disk, no permission) into one line on stderr (exit 2) and any other
exception into one line too (exit 3): a user never sees a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from tracker.core.config import Settings
from tracker.core.errors import TrackerError
from tracker.ops.upgrade import upgrade

# Command groups, in the order ``--help`` lists them.
COMMAND_MODULES = (
    "tracker.cli.demo",
    "tracker.cli.status",
    "tracker.cli.activitylog",
    "tracker.cli.evidence",
    "tracker.cli.audit",
    "tracker.cli.querylog",
    "tracker.cli.users",
    "tracker.cli.accounts",
    "tracker.cli.backup",
    "tracker.cli.retention",
    "tracker.cli.package",
    "tracker.cli.store",
    "tracker.cli.notify",
)

EXIT_USAGE = 2
EXIT_INTERNAL = 3


class UsageError(Exception):
    """Bad command-line words; argparse's own exit is replaced by this."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises instead of printing usage and exiting."""

    def error(self, message: str):  # noqa: D401 - argparse's name
        raise UsageError(message)


def build_parser() -> Parser:
    parser = Parser(prog="python -m tracker", description="移民資訊應用管理要點 合規追蹤工具")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        settings = settings or Settings.from_env()
        upgrade(settings)
        return int(args.func(args, settings) or 0)
    except UsageError as exc:
        print(f"錯誤 error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except TrackerError as exc:
        print(f"錯誤 error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # a full disk, no permission, a read-only or failing file system
        from tracker.core.errors import os_failure

        print(f"錯誤 error: {os_failure(exc, '執行', 'the command')}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("已中斷 interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the edge: never a traceback for the user
        print(f"內部錯誤 internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL


def day(text: str):
    """The ``type=`` of every CLI date argument: ``2025-03-02``, ``114/03/02`` or ``114-03-02``.

    Uses :func:`tracker.core.dates.parse_day`; a bad or impossible date becomes
    a one-line usage error (exit 2).
    """
    from tracker.core.dates import parse_day
    from tracker.core.errors import InvalidInput

    try:
        return parse_day(text)
    except InvalidInput as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


DAY_HELP = "2025-03-02 或民國 114/03/02"


def print_json(obj) -> None:
    """Print one JSON object on stdout, UTF-8, non-ASCII kept readable."""
    import json

    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()
