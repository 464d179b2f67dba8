"""zh-TW labels for stored values (screens and reports; code keeps the English ids)."""

from __future__ import annotations

from tracker.domain.enums import ProtectionLevel, ReviewState, Role, Status, SubjectKind

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
PROTECTION_LEVEL = {
    ProtectionLevel.NORMAL: "普",
    ProtectionLevel.MEDIUM: "中",
    ProtectionLevel.HIGH: "高",
}
# What changed after a signature, and why its signer is not trusted (inspection reports).
MODIFICATION = {
    "none": "簽署後未修改",
    "lta_updates": "簽署後僅加簽章、時戳或驗證資料",
    "form_filling": "簽署後填寫了表單欄位",
    "annotations": "簽署後加入了註解",
    "other": "簽署後內容遭變更",
}
TRUST_PROBLEM = {
    "expired": "憑證已過期",
    "not_yet_valid": "憑證尚未生效",
    "revoked": "憑證已廢止",
    "revocation_unknown": "無法確認憑證是否廢止",
    "untrusted_root": "不在信任清單",
    "invalid_certificate": "憑證不能用於簽章",
}
VERDICT = {"accepted": "自動檢核通過", "needs_review": "需人工判讀", "rejected": "無法受理"}


def status_label(status: Status | str) -> str:
    return STATUS[Status(status)]
