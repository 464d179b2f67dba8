"""Where the data lives and the limits that apply, passed in rather than global.

``Settings.from_env()`` reads ``TRACKER_DATA_DIR`` (default ``./data``),
``TRACKER_EVIDENCE_DIR`` (default ``./evidence``), ``TRACKER_TRUST_DIR`` (root
certificates trusted for signatures; default ``<data dir>/trust``),
``TRACKER_MAX_UPLOAD_MB`` (default 20) and ``TRACKER_DATABASE_URL``
(``postgresql://…``: records and the activity log in PostgreSQL instead of the
data folder, see :mod:`tracker.storage.backend`; unset or empty: the folder).
Mail (tracker.notify): ``TRACKER_SMTP_URL``
(``smtp://host:port``, ``smtps://host:port``, ``?starttls=1``; empty means no mail
server), ``TRACKER_SMTP_PASSWORD`` (when the URL names a user but no password),
``TRACKER_MAIL_FROM`` (the sender; default ``nia-tracker@<host name>``) and ``TRACKER_BASE_URL`` (the app's address
in links; default ``http://localhost:8501``).  Security: ``TRACKER_SSO_EMAIL_DOMAINS``
(comma-separated domains whose verified addresses may link a single sign-on
identity at its first sign-in; default none), ``TRACKER_BACKUP_KEY_FILE`` (the
key that authenticates backup manifests; default ``<data dir>.backup-key``,
beside the data folder and never inside it, so that no backup contains it) and
``TRACKER_SESSION_IDLE_MINUTES`` (how long a signed-in session may stay unused;
default and most 15, point 6.3).  Tests build a ``Settings`` per temporary
folder instead of touching the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHECKLISTS_DIR = PROJECT_ROOT / "checklists"
DEFAULT_BASE_URL = "http://localhost:8501"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    evidence_dir: Path
    trust_dir: Path | None = None
    max_upload_bytes: int = 20 * 1024 * 1024
    smtp_url: str = field(default="", repr=False)  # may hold a password
    smtp_password: str = field(default="", repr=False)
    mail_from: str = ""
    base_url: str = DEFAULT_BASE_URL
    # None: the data folder; a postgresql:// URL may hold a password
    database_url: str | None = field(default=None, repr=False)
    sso_email_domains: tuple[str, ...] = ()
    backup_key_file: Path | None = None
    session_idle_minutes: float = 15.0

    @property
    def backup_key_path(self) -> Path:
        """Where the backup key lives: ``backup_key_file``, else ``<data dir>.backup-key``."""
        return self.backup_key_file or self.data_dir.with_name(self.data_dir.name + ".backup-key")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("TRACKER_DATA_DIR") or "data").resolve()
        evidence_dir = Path(env.get("TRACKER_EVIDENCE_DIR") or "evidence").resolve()
        trust = env.get("TRACKER_TRUST_DIR")
        max_mb = env.get("TRACKER_MAX_UPLOAD_MB")
        domains = (env.get("TRACKER_SSO_EMAIL_DOMAINS") or "").split(",")
        key_file = env.get("TRACKER_BACKUP_KEY_FILE")
        idle = float(env.get("TRACKER_SESSION_IDLE_MINUTES") or 15)
        return cls(
            data_dir=data_dir,
            evidence_dir=evidence_dir,
            trust_dir=Path(trust).resolve() if trust else data_dir / "trust",
            max_upload_bytes=int(float(max_mb) * 1024 * 1024) if max_mb else 20 * 1024 * 1024,
            smtp_url=(env.get("TRACKER_SMTP_URL") or "").strip(),
            smtp_password=env.get("TRACKER_SMTP_PASSWORD") or "",
            mail_from=(env.get("TRACKER_MAIL_FROM") or "").strip(),
            base_url=(env.get("TRACKER_BASE_URL") or "").strip() or DEFAULT_BASE_URL,
            database_url=env.get("TRACKER_DATABASE_URL", "").strip() or None,
            sso_email_domains=tuple(d.strip().casefold() for d in domains if d.strip()),
            backup_key_file=Path(key_file).resolve() if key_file else None,
            session_idle_minutes=min(max(idle, 0.05), 15.0),  # 6.3: at most 15 minutes
        )

    @classmethod
    def for_folder(cls, root: Path) -> Settings:
        """Settings with data, evidence and trust folders under one root (tests, benchmarks)."""
        root = Path(root)
        return cls(data_dir=root / "data", evidence_dir=root / "evidence", trust_dir=root / "trust")
