"""Contact addresses: checked on entry, and looked up per vendor or agency role.

An address is a plain ASCII ``local@domain`` (no display name, no quoted local
part, no IP literal): what an SMTP server without the SMTPUTF8 extension
accepts.  Domains are kept in lower case; local parts as typed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from tracker.core.errors import InvalidInput
from tracker.domain.outbox import Audience
from tracker.domain.vendors import Agency, Vendor

MAX_ADDRESSES = 10
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_TLD = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
_SEPARATORS = re.compile(r"[\s,;]+")

# The agency field each agency audience reads.
AGENCY_FIELDS = {
    Audience.IT_OFFICE: "it_office_emails",
    Audience.ACCOUNT_ADMIN: "account_admin_emails",
    Audience.SECURITY_CONTACT: "security_contact_emails",
    Audience.ETHICS_CONTACT: "ethics_contact_emails",
    Audience.MANAGER: "manager_emails",
}
AUDIENCE_LABELS = {
    Audience.VENDOR: "委外廠商",
    Audience.IT_OFFICE: "資訊室",
    Audience.ACCOUNT_ADMIN: "機關帳號管理者",
    Audience.SECURITY_CONTACT: "資安聯絡人",
    Audience.ETHICS_CONTACT: "政風單位",
    Audience.MANAGER: "主管",
}


def check_address(text: str, *, host_ok: bool = False) -> str:
    """One address, trimmed, its domain in lower case; InvalidInput naming it otherwise.

    ``host_ok`` also accepts a bare host name as the domain (``tracker@mailhost``),
    which a sender on an internal relay may use; recipients need a full domain.
    """
    address = (text or "").strip()
    local, at, domain = address.rpartition("@")
    domain = domain.lower()
    labels = domain.split(".")
    full = len(labels) >= 2 and _TLD.fullmatch(labels[-1])
    ok = (
        at
        and len(address) <= 254
        and len(local) <= 64
        and address.isascii()
        and _LOCAL.fullmatch(local)
        and all(_LABEL.fullmatch(label) for label in labels)
        and (full or (host_ok and len(labels) == 1))
    )
    if not ok:
        shown = address[:80]
        raise InvalidInput(
            f"電子郵件地址格式錯誤：「{shown}」（請輸入如 name@example.org 的地址）",
            f"not an e-mail address: {shown!r}",
        )
    return f"{local}@{domain}"


def check_addresses(
    value: str | Iterable[str] | None, zh_field: str = "電子郵件"
) -> tuple[str, ...]:
    """Addresses from a text (one per line, or separated by commas, semicolons or spaces) or a list.

    Duplicates (ignoring case) are dropped, the order kept.  Raises
    InvalidInput for the first bad address (the field named) or more than
    :data:`MAX_ADDRESSES`.  ``None`` or an empty text gives ``()``.
    """
    if value is None:
        return ()
    if isinstance(value, str):
        value = _SEPARATORS.split(unicodedata.normalize("NFKC", value))
    out: list[str] = []
    for raw in value:
        if not (raw or "").strip():
            continue
        try:
            address = check_address(raw)
        except InvalidInput as exc:
            raise InvalidInput(f"{zh_field}：{exc.message_zh}", exc.message_en) from None
        if address.lower() not in {a.lower() for a in out}:
            out.append(address)
    if len(out) > MAX_ADDRESSES:
        raise InvalidInput(
            f"{zh_field}最多 {MAX_ADDRESSES} 個地址", f"at most {MAX_ADDRESSES} addresses"
        )
    return tuple(out)


def agency_addresses(agency: Agency, audience: Audience) -> tuple[str, ...]:
    """The addresses of one role of ``agency`` (``()`` when none are on record)."""
    return tuple(getattr(agency, AGENCY_FIELDS[audience]))


def vendor_addresses(vendor: Vendor) -> tuple[str, ...]:
    return tuple(vendor.contact_emails)


def merged(*groups: Iterable[str]) -> tuple[str, ...]:
    """The addresses of several groups, each once (ignoring case), in order."""
    out: list[str] = []
    for group in groups:
        for address in group:
            if address.lower() not in {a.lower() for a in out}:
                out.append(address)
    return tuple(out)
