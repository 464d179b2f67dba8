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
in links; default ``http://localhost:8501``).  Tests build a ``Settings`` per
temporary folder instead of touching the environment.
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
    database_url: str | None = field(
        default=None, repr=False
    )  # None: the folder; may hold a password

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("TRACKER_DATA_DIR") or "data").resolve()
        evidence_dir = Path(env.get("TRACKER_EVIDENCE_DIR") or "evidence").resolve()
        trust = env.get("TRACKER_TRUST_DIR")
        max_mb = env.get("TRACKER_MAX_UPLOAD_MB")
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
        )

    @classmethod
    def for_folder(cls, root: Path) -> Settings:
        """Settings with data, evidence and trust folders under one root (tests, benchmarks)."""
        root = Path(root)
        return cls(data_dir=root / "data", evidence_dir=root / "evidence", trust_dir=root / "trust")
