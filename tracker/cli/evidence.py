"""``python -m tracker evidence ...``: inspect evidence files and print pledge forms.

``evidence check FILE [--expect TEXT]... [--kind KIND] [--level 普|中|高] [--json]``
runs the automatic checks (:mod:`tracker.inspection.inspector`).  ``--level`` is
the protection level of the contract's system (普 中 高, or the stored values
normal medium high): the texts the catalogue requires of the kind at that
level are required too.  With ``--json`` it prints exactly one JSON object
(the report) on stdout.  Exit status: 0 accepted or needs_review, 1 rejected,
2 bad arguments or a file that cannot be opened.

``evidence form --staff NAME --vendor NAME --contract TITLE [--agency NAME]
--out FILE`` writes a pre-filled 專案作業人員保密切結書 and prints its form number.

Extending the group: a module that adds subcommands (upload, review...)
defines ``add_evidence_commands(sub)`` and is listed in
:data:`EXTENSION_MODULES`; ``sub`` is the ``evidence`` group's subparsers
object, exactly as :func:`add_evidence_commands` below receives it.
"""

from __future__ import annotations

import importlib
import sys
from datetime import date
from pathlib import Path

from tracker.cli import print_json
from tracker.core.errors import InvalidInput
from tracker.documents.labels import PROTECTION_LEVEL
from tracker.domain.enums import ProtectionLevel

# Modules adding more ``evidence`` subcommands (see the module docstring).
EXTENSION_MODULES: tuple[str, ...] = ()

EXIT_OK, EXIT_REJECTED = 0, 1
# What --level accepts: the zh-TW level, with or without 級, or the stored value.
LEVEL_WORDS = {level.value: level for level in ProtectionLevel} | {
    zh: level for level, zh in PROTECTION_LEVEL.items()
}
VERDICT_LABELS = {
    "accepted": "自動檢核通過 accepted",
    "needs_review": "需人工判讀 needs review",
    "rejected": "無法受理 rejected",
}


def register(subparsers) -> None:
    """Add the ``evidence`` group, its own commands and any extension's."""
    parser = subparsers.add_parser("evidence", help="佐證資料檢核與表單 evidence checks and forms")
    sub = parser.add_subparsers(dest="evidence_command", metavar="SUBCOMMAND")
    sub.required = True
    add_evidence_commands(sub)
    for name in EXTENSION_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # that extension is not in this checkout
            raise
        module.add_evidence_commands(sub)


def add_evidence_commands(sub) -> None:
    """Add ``check`` and ``form`` to the ``evidence`` subparsers object ``sub``."""
    check = sub.add_parser("check", help="自動檢核一個 PDF inspect one PDF")
    check.add_argument("file", type=Path, metavar="FILE")
    check.add_argument(
        "--expect", action="append", default=[], metavar="TEXT", help="必須出現的文字"
    )
    check.add_argument("--kind", metavar="KIND", help="佐證資料類別 evidence kind id")
    check.add_argument(
        "--level",
        type=protection_level,
        metavar="普|中|高",
        help="委託案系統的防護需求等級 the contract's protection level (normal|medium|high)",
    )
    check.add_argument(
        "--json", action="store_true", help="輸出一個 JSON 物件 print one JSON object"
    )
    check.set_defaults(func=run_check)

    form = sub.add_parser("form", help="產生保密切結書 print a staff pledge form")
    form.add_argument("--staff", required=True, metavar="NAME")
    form.add_argument("--vendor", required=True, metavar="NAME")
    form.add_argument("--contract", required=True, metavar="TITLE")
    form.add_argument("--agency", metavar="NAME")
    form.add_argument("--out", required=True, type=Path, metavar="FILE")
    form.set_defaults(func=run_form)


def run_check(args, settings) -> int:
    """Inspect ``args.file``; exit 1 when the verdict is ``rejected``."""
    from tracker.inspection.inspector import inspect_file

    report = inspect_file(
        args.file,
        expect=args.expect,
        kind=args.kind,
        level=args.level,
        trust_dir=settings.trust_dir,
        max_bytes=settings.max_upload_bytes,
    )
    if args.json:
        print_json(report.to_dict())
    else:
        _print_summary(args.file, report)
    return EXIT_REJECTED if report.verdict == "rejected" else EXIT_OK


def protection_level(text: str) -> ProtectionLevel:
    """The ``type=`` of ``--level``: 普 中 高 (級 may follow), or normal medium high."""
    import argparse
    import unicodedata

    word = unicodedata.normalize("NFKC", text).strip().casefold().removesuffix("級")
    if word not in LEVEL_WORDS:
        raise argparse.ArgumentTypeError(
            f"防護需求等級須為 普、中、高 invalid level {text!r}: use 普/中/高 or normal/medium/high"
        )
    return LEVEL_WORDS[word]


def run_form(args, settings) -> int:
    """Write a pledge form to ``args.out`` and print its form number."""
    from tracker.documents.pledge import DEFAULT_AGENCY, new_form_number, render_pledge_form

    fields = {"staff_name": args.staff, "vendor_name": args.vendor, "contract_title": args.contract}
    for label, value in fields.items():
        if not value.strip():
            raise InvalidInput(f"{label} 不可空白", f"{label} must not be blank")
    today = date.today()
    number = new_form_number(today)
    pdf = render_pledge_form(
        form_number=number,
        agency_name=(args.agency or DEFAULT_AGENCY).strip(),
        issued_on=today,
        **{key: value.strip() for key, value in fields.items()},
    )
    try:
        args.out.write_bytes(pdf)
    except OSError as exc:
        raise InvalidInput(
            f"無法寫入：{args.out}", f"cannot write {args.out}: {exc.strerror}"
        ) from None
    print(number)
    return EXIT_OK


def _print_summary(path: Path, report) -> None:
    lines = [
        f"檔案 file: {path}",
        f"結果 verdict: {VERDICT_LABELS[report.verdict]}",
        f"SHA-256: {report.sha256}",
        f"大小 size: {report.bytes:,} bytes　頁數 pages: {_show(report.pages)}",
        f"文字層 text layer: {_yes_no(report.text_layer)}　加密 encrypted: {_yes_no(report.encrypted)}"
        f"　須密碼 password required: {_yes_no(report.password_required)}",
    ]
    if report.keywords_found or report.keywords_missing:
        lines.append(f"找到 found: {'、'.join(report.keywords_found) or '-'}")
        lines.append(f"缺少 missing: {'、'.join(report.keywords_missing) or '-'}")
    if report.form_numbers:
        lines.append(f"表單編號 form numbers: {', '.join(report.form_numbers)}")
    if report.signature_fields or report.signed:
        lines.append(_signature_line(report))
        lines += [_signature_detail(entry) for entry in report.signatures]
    if report.risky_features:
        lines.append(f"主動內容 active content: {', '.join(report.risky_features)}")
    lines += [f"  - {reason.zh} / {reason.en}" for reason in report.reasons]
    sys.stdout.write("\n".join(lines) + "\n")


def _signature_line(report) -> str:
    if not report.signed:
        return f"數位簽章 signature: 未簽署 unsigned ({report.signature_fields} field(s))"
    intact = _show(report.signature_intact)
    trusted = _show(report.signature_trusted)
    return f"數位簽章 signature: {report.signer or '?'} intact={intact} trusted={trusted}"


def _signature_detail(entry: dict) -> str:
    problem = f" ({entry['trust_problem']})" if entry.get("trust_problem") else ""
    return (
        f"  - {entry.get('field') or '?'}: {entry.get('signer') or '?'}"
        f" {entry.get('signed_at') or ''} intact={_show(entry.get('intact'))}"
        f" trusted={_show(entry.get('trusted'))}{problem}"
        f" whole_file={_show(entry.get('covers_whole_file'))}"
        f" modification={entry.get('modification') or '-'}"
    )


def _yes_no(value: bool) -> str:
    return "有 yes" if value else "無 no"


def _show(value) -> str:
    return "-" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
