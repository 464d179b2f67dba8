"""``python -m tracker audit ...``: the self-audit of query logs (point 7.2).

``audit sample FILE --seed N [--from DATE] [--to DATE] [--json]`` reads an NIA
export without storing anything and prints the sample: with ``--json`` exactly
one JSON object ``{"population", "sample_size", "seed", "rows", ...}`` plus what
reading the export found (``format``, ``encoding``, ``columns``,
``unrecognised_columns``, ``totals_row``), else a table.  ``--risk`` adds
labelled risk picks on top of the random minimum.

Extending the group: another command module calls
``audit_actions(subparsers).add_parser("NAME", ...)`` from its own
``register(subparsers)``; ``audit_actions`` creates the ``audit`` parser if
this module has not registered it yet, and returns the same object either way.
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from pathlib import Path

from tracker.cli import EXIT_USAGE, Parser, day, print_json
from tracker.cli.querylog import import_notes
from tracker.compliance.loader import default_catalogue
from tracker.core.config import Settings
from tracker.core.errors import InvalidInput
from tracker.domain.audits import RANDOM
from tracker.querylog.isolated import open_export_isolated
from tracker.querylog.sampling import RULE, Sample, draw_audit_sample

_COLUMNS = (
    ("line", "行 line"),
    ("queried_at", "查詢時間 queried_at"),
    ("account", "帳號 account"),
    ("query_type", "查詢項目 query_type"),
    ("subject_id", "證號 subject_id"),
    ("purpose", "事由 purpose"),
    ("ip", "IP"),
    ("pick", "抽選 pick"),
)


def register(subparsers) -> None:
    """Add the ``audit`` group and its ``sample`` command."""
    add_audit_commands(audit_actions(subparsers))


def audit_actions(subparsers):
    """The subparsers of the ``audit`` group, created on first use."""
    if "audit" in subparsers.choices:
        return subparsers.choices["audit"].audit_actions
    group = subparsers.add_parser("audit", help="自主稽核 self-audit of query logs (7.2)")
    group.audit_actions = group.add_subparsers(
        dest="audit_command", metavar="ACTION", parser_class=Parser
    )
    group.set_defaults(func=lambda args, settings: _usage(group))
    return group.audit_actions


def add_audit_commands(actions) -> None:
    """Add this module's commands (``sample``) to the ``audit`` subparsers."""
    sample = actions.add_parser(
        "sample",
        help="從查詢紀錄匯出檔抽樣（不儲存） draw the 7.2 sample from an export (stores nothing)",
    )
    sample.add_argument("file", type=Path, help="NIA query-log export, CSV or XLSX")
    sample.add_argument(
        "--seed", type=int, required=True, help="random seed (same seed, same rows)"
    )
    sample.add_argument(
        "--from", dest="date_from", type=day, help="first day, 2025-03-02 or 114/03/02"
    )
    sample.add_argument("--to", dest="date_to", type=day, help="last day (inclusive)")
    sample.add_argument("--json", action="store_true", help="print one JSON object")
    sample.add_argument(
        "--risk", action="store_true", help="add risk-based picks beyond the minimum"
    )
    sample.add_argument(
        "--departed",
        action="append",
        default=[],
        metavar="ACCOUNT",
        help="account of a departed holder (repeatable; implies --risk)",
    )
    sample.set_defaults(func=run_sample)


def run_sample(args: argparse.Namespace, settings: Settings) -> int:
    """Read, draw and print; errors propagate as TrackerError for :func:`tracker.cli.main`."""
    if args.date_from and args.date_to and args.date_from > args.date_to:
        raise InvalidInput(
            f"起日 {args.date_from} 晚於迄日 {args.date_to}",
            f"--from {args.date_from} is after --to {args.date_to}",
        )
    log = open_export_isolated(args.file)
    risk = {"departed_accounts": set(args.departed)} if args.risk or args.departed else None
    ratio, floor = default_catalogue().sampling_rule()
    sample = draw_audit_sample(
        log,
        args.seed,
        date_from=args.date_from,
        date_to=args.date_to,
        ratio=ratio,
        floor=floor,
        risk=risk,
    )
    if args.json:
        print_json(sample.to_dict() | log.import_summary())
    else:
        _print_table(sample, args.file.name)
        found = log.import_summary()
        for line in import_notes(found["unrecognised_columns"], found["totals_row"]):
            print(line)
    return 0


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def _print_table(sample: Sample, filename: str) -> None:
    period = f"{sample.date_from or '…'} – {sample.date_to or '…'}"
    print(f"自主稽核抽樣 self-audit sample（要點 {RULE}） {filename}")
    print(f"期間 period: {period}   sha256: {sample.sha256}")
    print(
        f"母體 population: {sample.population}   抽樣 sample: {sample.sample_size}"
        f"（比例 {sample.ratio}，至少 {sample.floor} 筆，不足則全數）   seed: {sample.seed}"
    )
    extra = sum(row["pick"] != RANDOM for row in sample.rows)
    if extra:
        print(f"另加風險抽選 risk picks: {extra}")
    table = [[label for _, label in _COLUMNS]]
    table += [
        ["" if row[key] is None else str(row[key]) for key, _ in _COLUMNS] for row in sample.rows
    ]
    widths = [max(_width(cells[i]) for cells in table) for i in range(len(_COLUMNS))]
    for cells in table:
        print(
            "  ".join(_pad(text, width) for text, width in zip(cells, widths, strict=True)).rstrip()
        )


def _width(text: str) -> int:
    """Display width: East Asian wide and full-width characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
