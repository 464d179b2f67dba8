"""Where the data lives and the limits that apply, passed in rather than global.

``Settings.from_env()`` reads ``TRACKER_DATA_DIR`` (default ``./data``),
``TRACKER_EVIDENCE_DIR`` (default ``./evidence``), ``TRACKER_TRUST_DIR`` (root
certificates trusted for signatures; default ``<data dir>/trust``),
``TRACKER_MAX_UPLOAD_MB`` (default 20) and ``TRACKER_DATABASE_URL``
(``postgresql://…``: records and the activity log in PostgreSQL instead of the
data folder, see :mod:`tracker.storage.backend`; unset or empty: the folder).
Tests build a ``Settings`` per temporary folder instead of touching the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHECKLISTS_DIR = PROJECT_ROOT / "checklists"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    evidence_dir: Path
    trust_dir: Path | None = None
    max_upload_bytes: int = 20 * 1024 * 1024
    database_url: str | None = None  # None: records in the data folder

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
            database_url=env.get("TRACKER_DATABASE_URL", "").strip() or None,
        )

    @classmethod
    def for_folder(cls, root: Path) -> Settings:
        """Settings with data, evidence and trust folders under one root (tests, benchmarks)."""
        root = Path(root)
        return cls(data_dir=root / "data", evidence_dir=root / "evidence", trust_dir=root / "trust")
