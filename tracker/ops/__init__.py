"""Operations: backup, verification, restore, retention, auditor's package."""
