"""The words of a message: zh-TW subject lines, the plain-text and HTML bodies, the e-mail itself.

Every date people read is in the ROC calendar.  Every value that came from a
person (names, titles, summaries) is escaped in the HTML part and has its
line breaks flattened in the subject, so it can be neither markup nor a
header; a national ID number typed into such a value is masked.
"""

from __future__ import annotations

import html
import re
import socket
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

from tracker.core.dates import roc_date, roc_short
from tracker.core.errors import InvalidInput
from tracker.core.idnumbers import mask_id
from tracker.documents.labels import STATUS, SUBJECT
from tracker.domain.enums import Status, SubjectKind
from tracker.domain.outbox import Audience, MessageKind, OutboxContent, OutboxMessage
from tracker.notify.addresses import AUDIENCE_LABELS, check_address

TAG = "【移民資訊合規】"
MAX_SUBJECT_TEXT = 40
STEP_LABELS = {
    "due_30": "30 天後到期",
    "due_7": "7 天後到期",
    "due_1": "明天到期",
    "overdue_new": "今天起逾期",
    "overdue_weekly": "仍逾期，每週一提醒",
    "review": "待資訊室審查",
    "overdue_daily": "逾期",
    "removal": "帳號待註銷",
    "weekly_summary": "逾期",
}
# How an agency digest's subject line counts its items, by step.
TALLY_LABELS = {"review": "待審查", "overdue_daily": "逾期", "removal": "帳號待註銷"}
SELF_AUDIT_TALLY = "自主稽核待辦"
HEADLINES = {
    Audience.VENDOR: "到期提醒",
    Audience.IT_OFFICE: "資訊室每日摘要",
    Audience.ACCOUNT_ADMIN: "機關帳號管理者提醒",
    Audience.MANAGER: "主管每週摘要",
}
FOOTER = "此信由移民資訊應用合規追蹤系統自動寄出，請勿直接回覆；請登入系統查看或處理。"
# A national ID (A123456789) or a resident number (AB12345678) inside a text.
_ID_IN_TEXT = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9]\d{8}(?!\d)")


def masked(text: str) -> str:
    """``text`` with every ID number in it masked (``A12****789``)."""
    return _ID_IN_TEXT.sub(lambda m: mask_id(m[0]), text or "")


def one_line(text: str, limit: int = MAX_SUBJECT_TEXT) -> str:
    """``text`` on one line (every run of white space one space), cut to ``limit`` characters."""
    flat = re.sub(r"\s+", " ", masked(text)).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def digest_subject(audience: Audience, names: tuple[str, ...], items: list[dict], day: date) -> str:
    """``【移民資訊合規】到期提醒：北辰資訊股份有限公司 逾期 2 項、即將到期 1 項（115/03/02）``."""
    counts: dict[str, int] = {}
    for it in items:
        if audience is Audience.VENDOR or audience is Audience.MANAGER:
            label = STATUS[Status(it["status"])]
        elif it["step"] in TALLY_LABELS:
            label = TALLY_LABELS[it["step"]]
        else:
            label = SELF_AUDIT_TALLY
        counts[label] = counts.get(label, 0) + 1
    tally = "、".join(f"{label} {n} 項" for label, n in counts.items())
    who = one_line("、".join(names), 30)
    return f"{TAG}{HEADLINES[audience]}：{who} {tally}（{roc_short(day)}）"


def notice_subject(headline: str, text: str) -> str:
    return f"{TAG}{headline}：{one_line(text)}"


def link(base_url: str, page: str) -> str:
    return f"{base_url.rstrip('/')}/{page}"


def due_text(due: str | None, day: date) -> str:
    """``民國 115 年 3 月 9 日（還有 7 天）`` from an ISO date; ``未定`` for none."""
    if not due:
        return "未定"
    when = date.fromisoformat(due)
    days = (when - day).days
    relative = f"還有 {days} 天" if days > 0 else "今天" if days == 0 else f"已逾 {-days} 天"
    return f"{roc_date(when)}（{relative}）"


def item_lines(it: dict, day: date, base_url: str) -> list[tuple[str, str]]:
    """The (label, value) lines of one item, as both bodies show them."""
    kind = SUBJECT.get(SubjectKind(it["subject_kind"]), it["subject_kind"])
    vendor = f"（{it['vendor_name']}）" if it.get("vendor_name") else ""
    status = STATUS[Status(it["status"])]
    step = STEP_LABELS.get(it["step"], "")
    lines = [
        ("應辦事項", f"{it['obligation_id']} {it.get('title', '')}".strip()),
        ("對象", masked(f"{kind} {it.get('subject_label', '')}{vendor}")),
        ("期限", due_text(it["due"], day)),
        ("狀態", status),
    ]
    if step and step != status:
        lines.append(("提醒", step))
    if it.get("note"):
        lines.append(("說明", masked(it["note"])))
    lines.append(("連結", link(base_url, it.get("page", ""))))
    return lines


def headline(message: OutboxMessage) -> str:
    if message.kind is MessageKind.NOTICE:
        return ""
    return f"以下是{roc_date(message.day)}的{HEADLINES[message.audiences[0]]}，共 {message.item_count} 項："


def greeting(message: OutboxMessage, content: OutboxContent) -> str:
    roles = "、".join(AUDIENCE_LABELS[a] for a in message.audiences)
    names = "、".join(content.names)
    return f"{names} {roles} 您好：" if names else f"{roles} 您好："


def text_body(message: OutboxMessage, content: OutboxContent, base_url: str) -> str:
    out = [greeting(message, content), ""]
    out += [line for line in (content.intro, headline(message)) if line]
    out += [f"{label}：{masked(value)}" for label, value in content.details]
    for n, it in enumerate(content.items, 1):
        out.append("")
        rows = item_lines(it, message.day, base_url)
        out.append(f"{n}. {rows[0][1]}")
        out += [f"   {label}：{value}" for label, value in rows[1:]]
    out += ["", FOOTER, ""]
    return "\n".join(out)


def html_body(message: OutboxMessage, content: OutboxContent, base_url: str) -> str:
    e = html.escape
    parts = [f"<p>{e(greeting(message, content))}</p>"]
    parts += [f"<p>{e(line)}</p>" for line in (content.intro, headline(message)) if line]
    if content.details:
        parts.append("<table>")
        parts += [f"<tr><th>{e(k)}</th><td>{e(masked(v))}</td></tr>" for k, v in content.details]
        parts.append("</table>")
    parts.append("<ol>")
    for it in content.items:
        rows = item_lines(it, message.day, base_url)
        cells = []
        for label, value in rows[1:]:
            shown = e(value)
            if label == "連結":
                shown = f'<a href="{e(value, quote=True)}">{e(value)}</a>'
            cells.append(f"<tr><th>{e(label)}</th><td>{shown}</td></tr>")
        parts.append(f"<li><strong>{e(rows[0][1])}</strong><table>{''.join(cells)}</table></li>")
    parts.append("</ol>")
    parts.append(f"<p><small>{e(FOOTER)}</small></p>")
    body = "\n".join(parts)
    return f'<!DOCTYPE html>\n<html lang="zh-Hant-TW"><meta charset="utf-8"><body>\n{body}\n</body></html>\n'


def default_sender() -> str:
    """The sender when ``TRACKER_MAIL_FROM`` is not set: ``nia-tracker@<this host's name>``."""
    host = socket.gethostname().split(".")[0].lower() or "localhost"
    return f"nia-tracker@{host if re.fullmatch(r'[a-z0-9-]{1,63}', host) else 'localhost'}"


def sender(mail_from: str) -> Address:
    """``TRACKER_MAIL_FROM`` (``noreply@…`` or ``資訊室 <noreply@…>``) as a From address;
    :func:`default_sender` when it is empty.  InvalidInput when it is not an address."""
    name, address = parseaddr(mail_from or default_sender())
    try:
        address = check_address(address, host_ok=True)
    except InvalidInput:
        raise InvalidInput(
            f"寄件者 TRACKER_MAIL_FROM 格式錯誤：{mail_from!r}",
            f"TRACKER_MAIL_FROM is not an address: {mail_from!r}",
        ) from None
    local, _, domain = address.partition("@")
    return Address(display_name=one_line(name, 60), username=local, domain=domain)


def build_email(
    message: OutboxMessage,
    content: OutboxContent,
    *,
    sender_address: Address,
    base_url: str,
    now: datetime,
) -> EmailMessage:
    """The e-mail of ``message``: both bodies, base64-encoded UTF-8, and a Message-ID from its id.

    The same message gets the same Message-ID on every attempt, so a mail
    system that got it twice can tell.
    """
    mail = EmailMessage(policy=SMTP)
    mail["Subject"] = message.subject
    mail["From"] = sender_address
    mail["To"] = ", ".join(message.to)
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = f"<{message.id}@{sender_address.domain}>"
    mail["Auto-Submitted"] = "auto-generated"
    mail["X-Tracker-Key"] = message.key
    mail.set_content(text_body(message, content, base_url), charset="utf-8", cte="base64")
    mail.add_alternative(
        html_body(message, content, base_url), subtype="html", charset="utf-8", cte="base64"
    )
    return mail
