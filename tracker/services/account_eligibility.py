"""Who may apply for an NIA account: not vendor staff (5.7), and one application per person.

Both compare people by :func:`tracker.compliance.rules.identity.same_person`: the full national ID
where both records have it (its keyed digest), else the name with the masked ID.
"""

from __future__ import annotations

from tracker.compliance.rules.identity import Person, same_person
from tracker.core import clock
from tracker.core.errors import NotAllowed
from tracker.documents.labels import ACCOUNT_STATE
from tracker.domain.accounts import OPEN_STATES, NiaAccount
from tracker.domain.vendors import Contract, Vendor, VendorStaff
from tracker.storage.store import Store

VENDOR_REFUSAL_ZH = "依第五點第七款，委外廠商人員不得申請使用移民署資訊系統"
VENDOR_REFUSAL_EN = "point 5.7: vendor staff may not apply for NIA system accounts"


def holder(account: NiaAccount) -> Person:
    return Person(account.holder, account.holder_id_masked, account.holder_id_digest)


def staff_person(staff: VendorStaff) -> Person:
    return Person(staff.name, staff.id_masked, staff.id_digest)


def refuse_vendor_staff(store: Store, account: NiaAccount, flagged: bool) -> None:
    """5.7: refuse a holder ticked as vendor staff, or who is a current vendor staff member.

    "Current": no end date, or one not yet passed, as the 5.7 status check reads it.  The message
    names the matching staff record (masked ID, vendor, contract) so the clerk can check it.
    """
    if flagged:
        raise NotAllowed(
            f"{VENDOR_REFUSAL_ZH}（申請表已勾選申請人為委外廠商人員）", VENDOR_REFUSAL_EN
        )
    today = clock.today()
    for staff in store.all(VendorStaff):
        if (staff.end is None or staff.end >= today) and same_person(
            holder(account), staff_person(staff)
        ):
            raise NotAllowed(
                f"{VENDOR_REFUSAL_ZH}：{_match(store, account, staff)}", VENDOR_REFUSAL_EN
            )


def refuse_second_application(store: Store, account: NiaAccount) -> None:
    """One open application or account per person and agency (a rejected or cancelled one may be
    followed by a new application)."""
    for other in store.all(NiaAccount, agency=account.agency_id):
        if (
            other.id != account.id
            and other.state in OPEN_STATES
            and same_person(holder(account), holder(other))
        ):
            raise NotAllowed(
                f"{other.holder}（{other.holder_id_masked}）已有{ACCOUNT_STATE[other.state]}之"
                f"帳號申請（{other.unit}），不得重複申請",
                "this person already has an open application or account",
            )


def _match(store: Store, account: NiaAccount, staff: VendorStaff) -> str:
    vendor = store.get(Vendor, staff.vendor_id)
    contract = store.get(Contract, staff.contract_id)
    by = "身分證號相同" if account.holder_id_digest and staff.id_digest else "姓名及遮蔽後證號相同"
    where = f"{vendor.name if vendor else ''}「{contract.title if contract else ''}」"
    return f"申請人與{where}之專案作業人員 {staff.name}（{staff.id_masked}）{by}"
