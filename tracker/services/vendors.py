"""Vendors, contracts, their staff and dedicated PCs (point 八); incidents are in
:mod:`tracker.services.incidents`.

Every function validates its input here, at the edge, and raises
:class:`InvalidInput` with a bilingual message before anything is written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from datetime import date

from tracker.core import clock
from tracker.core.dates import roc_short
from tracker.core.errors import InvalidInput, NotAllowed, NotFound
from tracker.core.idnumbers import (
    is_masked_id,
    is_valid_national_id,
    is_valid_ubn,
    mask_id,
    mask_ids_in_text,
)
from tracker.core.text import format_characters
from tracker.domain.enums import ProtectionLevel
from tracker.domain.vendors import Agency, Contract, DedicatedPC, Vendor, VendorStaff
from tracker.notify.addresses import check_addresses
from tracker.services.demo_accounts import refuse_in_demo_folder
from tracker.services.identity import national_id_digest
from tracker.storage.registry import new_id
from tracker.storage.store import Store

MAX_TEXT = 200


def clean_text(
    value: str | None,
    zh_field: str,
    en_field: str,
    *,
    required: bool = True,
    max_len: int = MAX_TEXT,
) -> str:
    """``value`` stripped, with every ID-shaped number masked; refuses bad text with InvalidInput.

    Refused: an empty required field, one over ``max_len``, control characters
    and invisible format characters (right-to-left override, zero-width…).
    National IDs typed into free text never reach storage in full (the masked
    form is what is kept; see :func:`tracker.core.idnumbers.mask_ids_in_text`).
    """
    text = mask_ids_in_text((value or "").strip())
    if required and not text:
        raise InvalidInput(f"請填寫{zh_field}", f"{en_field} is required")
    if len(text) > max_len:
        raise InvalidInput(
            f"{zh_field}過長（上限 {max_len} 字）",
            f"{en_field} is longer than {max_len} characters",
        )
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
        raise InvalidInput(f"{zh_field}含有控制字元", f"{en_field} contains control characters")
    hidden = format_characters(text)
    if hidden:
        raise InvalidInput(
            f"{zh_field}含有不可見的格式字元（{'、'.join(hidden)}，如從右至左覆寫、零寬字元），請刪除後再試",
            f"{en_field} contains invisible format characters ({', '.join(hidden)})",
        )
    return text


def check_ubn(ubn: str) -> str:
    """Return the stripped 統一編號 or raise :class:`InvalidInput` naming what is wrong."""
    value = (ubn or "").strip()
    if not re.fullmatch(r"[0-9]{8}", value):
        raise InvalidInput(
            "統一編號須為 8 位數字", "a business number (統一編號) has exactly 8 digits"
        )
    if not is_valid_ubn(value):
        raise InvalidInput(
            f"統一編號 {value} 檢查碼不符",
            f"business number {value} fails its checksum",
        )
    return value


def save_agency(
    store: Store,
    actor: str,
    *,
    name: str,
    agency_id: str | None = None,
    parent_id: str | None = None,
    account_admin: str = "",
) -> Agency:
    """Create an agency, or update one; its notification addresses are kept
    (they change through :func:`tracker.services.contacts.set_agency_addresses`)."""
    before = store.get(Agency, agency_id) if agency_id else None
    agency = replace(
        before or Agency(id=agency_id or new_id("ag"), name=""),
        name=clean_text(name, "機關名稱", "agency name"),
        parent_id=parent_id,
        account_admin=clean_text(account_admin, "帳號管理者", "account manager", required=False),
    )
    action = "agency_updated" if before else "agency_created"
    if before and before.account_admin != agency.account_admin:
        action = "account_admin_changed"  # 5.4: a change of manager is recorded as such
    return store.put(agency, actor=actor, action=action)


def save_vendor(
    store: Store,
    actor: str,
    *,
    name: str,
    ubn: str,
    contact: str = "",
    vendor_id: str | None = None,
    contact_emails: str | tuple[str, ...] | list[str] | None = None,
) -> Vendor:
    """Create a vendor, or update it when ``vendor_id`` is given.  統一編號 must pass its checksum.

    ``contact_emails`` (a text of addresses, or a list) receive its reminders;
    ``None`` keeps the addresses it has.  A new vendor is refused in a demo
    folder until its demo accounts are removed
    (:func:`tracker.services.demo_accounts.refuse_in_demo_folder`).
    """
    if vendor_id is None:
        refuse_in_demo_folder(store, "新增廠商", "add a vendor")
    before = store.get(Vendor, vendor_id) if vendor_id else None
    emails = (
        check_addresses(contact_emails, "通知電子郵件")
        if contact_emails is not None
        else (before.contact_emails if before else ())
    )
    vendor = Vendor(
        id=vendor_id or new_id("v"),
        name=clean_text(name, "廠商名稱", "vendor name"),
        ubn=check_ubn(ubn),
        contact=clean_text(contact, "聯絡方式", "contact", required=False),
        contact_emails=emails,
    )
    for other in store.all(Vendor):
        if other.ubn == vendor.ubn and other.id != vendor.id:
            raise InvalidInput(
                f"統一編號 {vendor.ubn} 已屬於 {other.name}",
                f"business number already used by {other.name}",
            )
    if vendor_id and before is None:
        raise NotFound(f"找不到廠商 {vendor_id}", f"no vendor {vendor_id}")
    return store.put(
        vendor, actor=actor, action="vendor_updated" if vendor_id else "vendor_created"
    )


def save_contract(
    store: Store,
    actor: str,
    *,
    vendor_id: str,
    agency_id: str,
    title: str,
    start: date,
    end: date,
    handles_personal_data: bool = True,
    custom_development: bool = False,
    protection_level: str | ProtectionLevel = ProtectionLevel.NORMAL,
    amount: int = 0,
    contract_id: str | None = None,
) -> Contract:
    store.require(Vendor, vendor_id)
    store.require(Agency, agency_id)
    if end < start:
        raise InvalidInput("契約結束日不得早於開始日", "the contract ends before it starts")
    if int(amount) < 0:
        raise InvalidInput("契約金額不得為負數", "the amount cannot be negative")
    try:
        level = ProtectionLevel(protection_level)
    except ValueError:
        raise InvalidInput(
            "防護需求等級須為 高、中、普", "protection level must be high, medium or normal"
        ) from None
    contract = Contract(
        id=contract_id or new_id("c"),
        vendor_id=vendor_id,
        agency_id=agency_id,
        title=clean_text(title, "委託案名稱", "contract title"),
        start=start,
        end=end,
        handles_personal_data=bool(handles_personal_data),
        custom_development=bool(custom_development),
        protection_level=level,
        amount=int(amount),
    )
    return store.put(
        contract, actor=actor, action="contract_updated" if contract_id else "contract_created"
    )


def masked_national_id(value: str) -> str:
    """Validate a national ID and return only its masked form (``A12****789``).

    Full-width letters and digits are read as half-width.  An already masked
    value is kept only in the exact shape :func:`mask_id` gives (three kept,
    four ``*``, three kept): ``A12345678*`` is refused, its last digit being a
    checksum.  The full number is never stored (design rule: national IDs are masked).
    """
    text = unicodedata.normalize("NFKC", value or "").strip().upper()
    if not text:
        raise InvalidInput("請填寫身分證統一編號", "the national ID number is required")
    if "*" in text:
        if not is_masked_id(text):
            raise InvalidInput(
                "遮蔽後之身分證號須為前 3 碼、4 個 *、後 3 碼（如 A12****789）",
                "a masked ID keeps its first three and last three characters (A12****789)",
            )
        return text
    if not is_valid_national_id(text):
        raise InvalidInput("身分證統一編號格式或檢查碼錯誤", "the national ID number is not valid")
    return mask_id(text)


def add_staff(
    store: Store,
    actor: str,
    *,
    contract_id: str,
    name: str,
    national_id: str,
    start: date,
    touches_sensitive_data: bool = True,
    accounts: tuple[str, ...] = (),
    staff_id: str | None = None,
) -> VendorStaff:
    contract = store.require(Contract, contract_id)
    accounts = tuple(clean_text(a, "帳號", "account") for a in accounts if a and a.strip())
    staff = VendorStaff(
        id=staff_id or new_id("s"),
        vendor_id=contract.vendor_id,
        contract_id=contract.id,
        name=clean_text(name, "姓名", "name", max_len=60),
        id_masked=masked_national_id(national_id),
        id_digest=national_id_digest(store, national_id),
        start=start,
        touches_sensitive_data=bool(touches_sensitive_data),
        accounts=accounts,
    )
    return store.put(staff, actor=actor, action="staff_added")


def record_departure(store: Store, actor: str, staff_id: str, left_on: date) -> VendorStaff:
    """8.10: the person left on ``left_on`` (not in the future); the account-removal clock starts then.

    Refused (NotAllowed) when a departure is already recorded: a wrong one is set right with
    :func:`tracker.services.corrections.correct_departure`, never by recording another.
    """
    if left_on > clock.today():
        raise InvalidInput("離職日不得晚於今天", "the departure date is in the future")
    with store.locked():
        staff = store.require(VendorStaff, staff_id)
        if staff.end is not None:
            raise NotAllowed(
                f"{staff.name} 已於 {roc_short(staff.end)} 登錄離職；如有錯誤請使用「更正離職」",
                f"{staff_id} already left on {staff.end.isoformat()}",
            )
        if left_on < staff.start:
            raise InvalidInput(
                f"離職日不得早於 {staff.name} 之到職日 {roc_short(staff.start)}",
                "the departure is before the start date",
            )
        return store.put(replace(staff, end=left_on), actor=actor, action="staff_departed")


def record_accounts_removed(
    store: Store, actor: str, staff_id: str, removed_on: date
) -> VendorStaff:
    """8.10: the departed person's accounts were disabled or deleted on ``removed_on`` (not in the future)."""
    if removed_on > clock.today():
        raise InvalidInput("停用日不得晚於今天", "the removal date is in the future")
    with store.locked():
        staff = store.require(VendorStaff, staff_id)
        if staff.accounts_removed_on is not None:
            raise NotAllowed(
                f"{staff.name} 之帳號已於 {roc_short(staff.accounts_removed_on)} 登錄停用",
                f"{staff_id}'s accounts were already removed",
            )
        return store.put(
            replace(staff, accounts_removed_on=removed_on),
            actor=actor,
            action="staff_accounts_removed",
        )


def register_pc(
    store: Store,
    actor: str,
    *,
    contract_id: str,
    asset_tag: str,
    location: str,
    offline: bool = False,
    exclusive: bool = False,
    licensed_software_only: bool = False,
    last_inspected: date | None = None,
    pc_id: str | None = None,
) -> DedicatedPC:
    """8.11: a dedicated PC with the vendor's three attestations."""
    contract = store.require(Contract, contract_id)
    tag = clean_text(asset_tag, "財產編號", "asset tag", max_len=60)
    if last_inspected is not None and last_inspected > clock.today():
        raise InvalidInput("最近檢查日不得晚於今天", "the inspection date is in the future")
    for other in store.all(DedicatedPC, vendor=contract.vendor_id):
        if other.asset_tag == tag and other.id != pc_id:
            raise InvalidInput(f"財產編號 {tag} 已登錄", f"asset tag {tag} is already registered")
    pc = DedicatedPC(
        id=pc_id or new_id("pc"),
        vendor_id=contract.vendor_id,
        contract_id=contract.id,
        asset_tag=tag,
        location=clean_text(location, "放置地點", "location"),
        offline=bool(offline),
        exclusive=bool(exclusive),
        licensed_software_only=bool(licensed_software_only),
        last_inspected=last_inspected,
    )
    return store.put(pc, actor=actor, action="pc_updated" if pc_id else "pc_registered")
