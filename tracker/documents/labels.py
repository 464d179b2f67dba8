"""zh-TW labels for stored values (screens and reports; code keeps the English ids)."""

from __future__ import annotations

from tracker.domain.enums import ReviewState, Role, Status, SubjectKind

STATUS = {
    Status.NOT_APPLICABLE: "不適用",
    Status.MISSING: "缺件",
    Status.PENDING_REVIEW: "待審查",
    Status.COMPLIANT: "符合",
    Status.REJECTED: "退件",
    Status.DUE_SOON: "即將到期",
    Status.EXPIRED: "已過期",
    Status.OVERDUE: "逾期",
}
SUBJECT = {
    SubjectKind.AGENCY: "機關",
    SubjectKind.VENDOR: "委外廠商",
    SubjectKind.CONTRACT: "委託案",
    SubjectKind.VENDOR_STAFF: "專案作業人員",
    SubjectKind.DEDICATED_PC: "專用電腦",
    SubjectKind.NIA_ACCOUNT: "移民署資訊系統帳號",
    SubjectKind.AUDIT: "自主稽核",
    SubjectKind.INCIDENT: "資安事件",
}
ROLE = {
    Role.USER: "使用者",
    Role.UNIT_HEAD: "使用單位主管",
    Role.ACCOUNT_ADMIN: "機關帳號管理者",
    Role.IT_OFFICE: "資訊室",
    Role.MANAGER: "主管",
    Role.VENDOR: "委外廠商",
    Role.VENDOR_STAFF: "專案作業人員",
    Role.ETHICS_UNIT: "政風單位",
    Role.AGENCY: "機關",
}
REVIEW = {
    ReviewState.SUBMITTED: "待審查",
    ReviewState.APPROVED: "核准",
    ReviewState.REJECTED: "退件",
    ReviewState.SUPERSEDED: "已被取代",
}
VERDICT = {"accepted": "自動檢核通過", "needs_review": "需人工判讀", "rejected": "無法受理"}
# repairs the store made by itself (tracker.storage.recovery), shown to the IT office
RECOVERY = {
    "log_tail_recovered": "中斷寫入後整理操作日誌結尾",
    "store_table_rebuilt": "資料表檔遺失或被改動，已由操作日誌重建",
    "store_tables_rebuilt": "檢查點清單遺失，所有資料表已由操作日誌重建",
    "transaction_rolled_back": "中斷的上傳或匯入已還原",
    "transaction_completed": "中斷的上傳或匯入已完成",
}


def status_label(status: Status | str) -> str:
    return STATUS[Status(status)]
