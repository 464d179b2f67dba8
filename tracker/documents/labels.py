"""zh-TW labels for stored values (screens and reports; code keeps the English ids)."""

from __future__ import annotations

from datetime import date

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
ACCOUNT_STATE = {
    "draft": "草稿（待送出）",
    "first_review": "待初審",
    "second_review": "待複審",
    "nia_review": "待移民署複核",
    "active": "使用中",
    "rejected": "退件",
    "cancelled": "已註銷",
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
# repairs the store made by itself (tracker.storage.recovery), shown to the IT office
RECOVERY = {
    "log_tail_recovered": "中斷寫入後整理操作日誌結尾",
    "store_table_rebuilt": "資料表檔遺失或被改動，已由操作日誌重建",
    "store_tables_rebuilt": "檢查點清單遺失，所有資料表已由操作日誌重建",
    "transaction_rolled_back": "中斷的上傳或匯入已還原",
    "transaction_completed": "中斷的上傳或匯入已完成",
}

ACHIEVED = {True: "已達成", False: "未達成"}


def incident_state(incident) -> str:
    """Where an incident stands (8.3): 待資訊室確認, 資訊室已確認 or 已結案."""
    if incident.closed:
        return "已結案"
    return "資訊室已確認" if incident.acknowledged_at else "待資訊室確認"


_DETAIL = {
    "obligation_id": "項次",
    "obligation_title": "應辦事項",
    "subject_kind": "適用對象",
    "subject_label": "對象",
    "vendor": "廠商",
    "contract": "委託案",
    "agency": "機關",
    "status": "狀態",
    "due": "期限",
    "reason": "說明",
    "evidence_id": "佐證編號",
}


def _rollup(what: str) -> dict[str, str]:
    return {"key": "代碼", "name": what, "ok": "符合", "applicable": "適用", "percent": "合規率(%)"}


# The dashboard's tables by name: (title, {row field: column header}), in column order.
TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "attention": (
        "各廠商待處理事項",
        {
            "vendor": "廠商",
            "late": "逾期/過期",
            "soon": "30日內到期",
            "open": "待辦",
            "next_due": "最早期限",
            "reasons": "主要待辦事項",
            "percent": "合規率(%)",
        },
    ),
    "by_vendor": ("依廠商", _rollup("廠商")),
    "by_contract": ("依委託案", _rollup("委託案")),
    "by_obligation": ("依應辦事項", _rollup("應辦事項")),
    "by_agency": ("依機關", _rollup("機關")),
    "detail": ("明細", _DETAIL),
    "overdue": ("逾期或已過期項目", _DETAIL),
    "expiring": ("30 日內到期", _DETAIL),
    "departed": ("離職人員帳號尚未停用（8.10）", _DETAIL),
    "incidents": (
        "未結案資安事件",
        {
            "id": "編號",
            "vendor": "廠商",
            "contract": "委託案",
            "summary": "摘要",
            "known_at": "知悉時間",
            "reported_at": "通報時間",
            "measures": "因應措施",
        },
    ),
    "audits": (
        "年度自主稽核（7.2）",
        {
            "agency_id": "代碼",
            "agency": "機關",
            "done": "已完成",
            "required": "應辦",
            "achieved": "結果",
        },
    ),
}


def table_title(name: str, today: date) -> str:
    """A dashboard table's zh-TW title; the audits' is prefixed with the ROC year of ``today``."""
    title = TABLES[name][0]
    return f"{today.year - 1911} {title}" if name == "audits" else title


def labelled(value):
    """A stored value as a person reads it: statuses, subject kinds and yes/no in zh-TW."""
    if isinstance(value, Status):
        return STATUS[value]
    if isinstance(value, SubjectKind):
        return SUBJECT[value]
    if isinstance(value, bool):
        return ACHIEVED[value]
    return value


def table_rows(table) -> tuple[list[str], list[list]]:
    """(headers, rows of labelled values) of a dashboard table, in the labels' column order."""
    columns = TABLES[table.name][1]
    return list(columns.values()), [
        [labelled(getattr(row, field)) for field in columns] for row in table.rows
    ]
