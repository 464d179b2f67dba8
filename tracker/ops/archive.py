"""The backup archive's format: its names, version and the rule for an acceptable member name.

The layout is described in :mod:`tracker.ops.backup`.  :func:`name_problem` is
shared by the writer (a data file with an odd name is skipped) and the
verifier (such a member is refused).
"""

from __future__ import annotations

import re

FORMAT = "nia-compliance-tracker-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATA, EVIDENCE = "data", "evidence"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
CHUNK = 1024 * 1024
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")


def name_problem(name: str, *, archive: bool = False) -> tuple[str, str] | None:
    """Why ``name`` is not an acceptable relative path (``None`` when it is)."""
    if not name or CONTROL.search(name) or "\\" in name:
        return "檔名含控制字元或反斜線", "name has a control character or a backslash"
    if name.startswith("/") or _DRIVE.match(name):
        return "不接受絕對路徑", "absolute path refused"
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return "不接受 .. 或空白路徑段（路徑穿越）", "path traversal or empty path segment refused"
    if archive and name != MANIFEST and (parts[0] not in (DATA, EVIDENCE) or len(parts) < 2):
        return "不在 data/ 或 evidence/ 之下", "not under data/ or evidence/"
    return None
