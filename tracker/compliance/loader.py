"""Loading and validating the obligation catalogue from ``checklists/*.yaml``.

Every YAML file in the folder is loaded, so an agency can drop a second
catalogue beside the regulation's.  Validation refuses, with a message naming
the file and entry, duplicate ids, missing text, unknown roles, subjects,
evidence kinds, predicates, checks and timing rules.  The predicate and check
names a catalogue may use are those of :mod:`tracker.compliance.rules`.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import yaml

from tracker.compliance.catalogue import TIMING_RULES, Catalogue, EvidenceKind, Obligation, Timing
from tracker.compliance.rules.applicability import PREDICATES
from tracker.compliance.rules.checks import CHECKS
from tracker.core.config import CHECKLISTS_DIR
from tracker.core.errors import CatalogueError
from tracker.domain.enums import ProtectionLevel, Role, SubjectKind


def load_catalogue(
    folder: Path | None = None,
    *,
    predicates: Iterable[str] | None = None,
    checks: Iterable[str] | None = None,
) -> Catalogue:
    """Load and validate every ``*.yaml`` / ``*.yml`` file in ``folder``.

    ``predicates`` and ``checks`` are the names the status engine knows; by
    default those of :mod:`tracker.compliance.rules`.  Raises :class:`CatalogueError`.
    """
    if predicates is None or checks is None:
        predicates = PREDICATES.keys() if predicates is None else predicates
        checks = CHECKS.keys() if checks is None else checks
    folder = Path(folder or CHECKLISTS_DIR)
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    if not files:
        raise CatalogueError(f"{folder} 內沒有清單檔", f"no catalogue file in {folder}")
    parts = [_read_file(path) for path in files]
    return _build(parts, set(predicates), set(checks))


@lru_cache(maxsize=4)
def default_catalogue(folder: str | None = None) -> Catalogue:
    """The catalogue of ``checklists/`` (cached: it is read-only data)."""
    return load_catalogue(Path(folder) if folder else None)


def _read_file(path: Path) -> tuple[Path, dict]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CatalogueError(
            f"無法讀取清單 {path.name}：{exc}", f"cannot read catalogue {path.name}: {exc}"
        ) from exc
    if not isinstance(data, dict):
        raise CatalogueError(
            f"清單 {path.name} 格式錯誤", f"catalogue {path.name} is not a mapping"
        )
    return path, data


def _build(parts: list[tuple[Path, dict]], predicates: set[str], checks: set[str]) -> Catalogue:
    kinds: dict[str, EvidenceKind] = {}
    for path, data in parts:
        for raw in data.get("evidence_kinds") or []:
            kind = _evidence_kind(path, raw)
            if kind.id in kinds:
                raise _entry_error(path, kind.id, "證據種類重複", "duplicate evidence kind")
            kinds[kind.id] = kind
    obligations: list[Obligation] = []
    seen: dict[str, Path] = {}
    for path, data in parts:
        for raw in data.get("obligations") or []:
            obligation = _obligation(path, raw, kinds, predicates, checks)
            if obligation.id in seen:
                raise CatalogueError(
                    f"應辦事項編號 {obligation.id} 重複（{seen[obligation.id].name}、{path.name}）",
                    f"duplicate obligation id {obligation.id} in {seen[obligation.id].name} and {path.name}",
                )
            seen[obligation.id] = path
            obligations.append(obligation)
    first = parts[0][1]
    meta = first.get("catalogue") or {}
    return Catalogue(
        obligations=tuple(sorted(obligations, key=lambda o: _sort_key(o.id))),
        evidence_kinds=kinds,
        legal_bases=tuple(b for _, d in parts for b in d.get("legal_bases") or []),
        query_channels=tuple(c for _, d in parts for c in d.get("query_channels") or []),
        due_soon_days=int(meta.get("due_soon_days", 30)),
        title_zh=str(meta.get("title_zh", "")),
    )


def _sort_key(obligation_id: str) -> tuple:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in obligation_id.split("."))


def _entry_error(path: Path, entry: str, zh: str, en: str) -> CatalogueError:
    return CatalogueError(f"{path.name} 第 {entry} 項：{zh}", f"{path.name}, entry {entry}: {en}")


def _evidence_kind(path: Path, raw: dict) -> EvidenceKind:
    if not isinstance(raw, dict) or not raw.get("id") or not raw.get("zh"):
        raise _entry_error(
            path, str(raw), "證據種類缺少 id 或名稱", "evidence kind needs id and zh"
        )
    validity = raw.get("validity") or {}
    kind_id = str(raw["id"])
    texts = _texts(path, kind_id, raw.get("texts"), "texts")
    by_level = _level_texts(path, kind_id, raw.get("level_texts") or {})
    return EvidenceKind(
        id=kind_id,
        zh=str(raw["zh"]),
        en=str(raw.get("en", raw["id"])),
        validity_months=int(validity["months"]) if "months" in validity else None,
        valid_until_contract_end=validity.get("until") == "contract_end",
        retention_years=int(raw.get("retention_years", 5)),
        texts=texts,
        date=bool(raw.get("date", False)),
        level_texts=by_level,
        wordings=_wordings(path, kind_id, raw.get("wordings") or {}, texts, by_level),
        reading=" ".join(str(raw.get("reading") or "").split()),
    )


def _texts(path: Path, kind_id: str, raw, what: str) -> tuple[str, ...]:
    """A list of non-blank texts; refuses anything else naming the kind."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(t, str) and t.strip() for t in raw):
        raise _entry_error(
            path,
            kind_id,
            f"{what} 須為非空白文字的清單",
            f"{what} must be a list of non-blank texts",
        )
    return tuple(dict.fromkeys(t.strip() for t in raw))


def _level_texts(path: Path, kind_id: str, raw) -> tuple:
    if not isinstance(raw, dict):
        raise _entry_error(path, kind_id, "level_texts 格式錯誤", "level_texts must be a mapping")
    levels = tuple(
        (
            _enum(path, kind_id, ProtectionLevel, level, "protection level"),
            _texts(path, kind_id, texts, "level_texts"),
        )
        for level, texts in raw.items()
    )
    return tuple(sorted(levels, key=lambda pair: list(ProtectionLevel).index(pair[0])))


def _wordings(path: Path, kind_id: str, raw, texts, by_level) -> tuple:
    known = set(texts) | {t for _, level in by_level for t in level}
    if not isinstance(raw, dict) or not set(raw) <= known:
        raise _entry_error(
            path,
            kind_id,
            "wordings 只能列出本種類應有的文字",
            "wordings may only name texts the kind requires",
        )
    return tuple((text, _texts(path, kind_id, other, "wordings")) for text, other in raw.items())


def _enum(path: Path, oid: str, enum, value, what: str):
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise _entry_error(
            path, oid, f"未知的{what}「{value}」", f"unknown {what} '{value}' (allowed: {allowed})"
        ) from None


def _obligation(
    path: Path, raw: dict, kinds: dict, predicates: set[str], checks: set[str]
) -> Obligation:
    if not isinstance(raw, dict) or raw.get("id") in (None, ""):
        raise CatalogueError(
            f"{path.name}：應辦事項缺少編號", f"{path.name}: an obligation has no id"
        )
    oid = str(raw["id"])
    text = str(raw.get("text_zh") or "").strip()
    if not text:
        raise _entry_error(path, oid, "缺少條文內容", "missing text_zh")
    if not str(raw.get("title_en") or "").strip():
        raise _entry_error(path, oid, "缺少英文標題", "missing title_en")
    role = _enum(path, oid, Role, raw.get("role"), "role")
    subject = _enum(path, oid, SubjectKind, raw.get("subject"), "subject")
    applies = tuple(raw.get("applies_when") or ())
    for name in applies:
        if name not in predicates:
            raise _entry_error(
                path, oid, f"未知的適用條件「{name}」", f"unknown applies_when predicate '{name}'"
            )
    check = raw.get("check")
    if check is not None and check not in checks:
        raise _entry_error(path, oid, f"未知的檢核「{check}」", f"unknown check '{check}'")
    evidence = tuple(raw.get("evidence") or ())
    for kind in evidence:
        if kind not in kinds:
            raise _entry_error(
                path, oid, f"未知的佐證種類「{kind}」", f"unknown evidence kind '{kind}'"
            )
    timing = _timing(path, oid, raw.get("timing") or {})
    assessable = bool(raw.get("assessable", True))
    if assessable and not (evidence or check):
        raise _entry_error(
            path, oid, "可評核項目須有佐證或檢核", "an assessable entry needs evidence or a check"
        )
    sampling = raw.get("sampling") or {}
    return Obligation(
        id=oid,
        title_en=str(raw["title_en"]).strip(),
        text_zh=text,
        assessable=assessable,
        role=role,
        subject=subject,
        applies_when=applies,
        check=check,
        evidence=evidence,
        timing=timing,
        reading=str(raw.get("reading") or "").strip(),
        retention_years=raw.get("retention_years"),
        sampling_ratio=Fraction(str(sampling["ratio"])) if "ratio" in sampling else None,
        sampling_floor=int(sampling["floor"]) if "floor" in sampling else None,
        source=path.name,
        title_zh=str(raw.get("title_zh") or "").strip(),
        reading_zh=str(raw.get("reading_zh") or "").strip(),
    )


def _timing(path: Path, oid: str, raw: dict) -> Timing:
    rule = raw.get("rule", "none")
    if rule not in TIMING_RULES:
        raise _entry_error(path, oid, f"未知的期限規則「{rule}」", f"unknown timing rule '{rule}'")
    if rule in ("within_days", "within_hours") and not raw.get("event"):
        raise _entry_error(path, oid, "期限規則缺少起算事件", f"timing rule {rule} needs an event")
    if rule == "per_year" and int(raw.get("count", 0)) < 1:
        raise _entry_error(path, oid, "每年次數須至少 1", "per_year needs count >= 1")
    return Timing(
        rule=rule,
        days=int(raw.get("days", 0)),
        hours=int(raw.get("hours", 0)),
        event=str(raw.get("event", "")),
        count=int(raw.get("count", 0)),
        deadlines=tuple(raw.get("deadlines") or ()),
    )
