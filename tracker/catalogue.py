"""The obligation catalogue: loaded from ``checklists/*.yaml`` and validated.

Every YAML file in the folder is loaded, so an agency can drop a second
catalogue beside the regulation's.  Validation refuses, with a message naming
the file and entry, duplicate ids, missing text, unknown roles, subjects,
evidence kinds, predicates, checks and timing rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import yaml

from tracker.config import CHECKLISTS_DIR
from tracker.domain import Role, SubjectKind
from tracker.errors import CatalogueError

TIMING_RULES = {"none", "before_start", "within_days", "within_hours", "per_year", "continuous"}


@dataclass(frozen=True)
class Timing:
    """When an obligation falls due.

    ``rule``: ``before_start`` (due ``days`` after the subject starts, default 0),
    ``within_days`` / ``within_hours`` (after ``event``), ``per_year`` (``count``
    times a year by ``deadlines`` given as ``MM-DD``), ``continuous`` (a fact
    check with no date) or ``none``.
    """

    rule: str = "none"
    days: int = 0
    hours: int = 0
    event: str = ""
    count: int = 0
    deadlines: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvidenceKind:
    """A kind of document; ``validity_months`` or ``valid_until_contract_end`` bound it."""

    id: str
    zh: str
    en: str
    validity_months: int | None = None
    valid_until_contract_end: bool = False
    retention_years: int = 5


@dataclass(frozen=True)
class Obligation:
    id: str
    title_en: str
    text_zh: str
    assessable: bool
    role: Role
    subject: SubjectKind
    applies_when: tuple[str, ...] = ()
    check: str | None = None
    evidence: tuple[str, ...] = ()
    timing: Timing = field(default_factory=Timing)
    reading: str = ""
    retention_years: int | None = None
    sampling_ratio: Fraction | None = None
    sampling_floor: int | None = None
    source: str = ""
    title_zh: str = ""

    @property
    def point(self) -> str:
        """The regulation's point this entry belongs to: ``"8"`` for ``"8.11"``."""
        return self.id.split(".")[0]


@dataclass(frozen=True)
class Catalogue:
    obligations: tuple[Obligation, ...]
    evidence_kinds: dict[str, EvidenceKind]
    legal_bases: tuple[dict, ...] = ()
    query_channels: tuple[dict, ...] = ()
    due_soon_days: int = 30
    title_zh: str = ""

    def get(self, obligation_id: str) -> Obligation:
        for obligation in self.obligations:
            if obligation.id == obligation_id:
                return obligation
        raise KeyError(obligation_id)

    def ids(self) -> list[str]:
        return [o.id for o in self.obligations]

    def assessable(self) -> list[Obligation]:
        return [o for o in self.obligations if o.assessable]

    def for_subject(self, kind: SubjectKind) -> list[Obligation]:
        return [o for o in self.obligations if o.assessable and o.subject == kind]

    def query_types(self) -> list[dict]:
        """The query types of point 三, each with its channel id."""
        return [
            dict(qt, channel=ch["id"])
            for ch in self.query_channels
            for qt in ch.get("query_types", [])
        ]

    def legal_basis_ids(self) -> set[str]:
        return {b["id"] for b in self.legal_bases}

    def sampling_rule(self) -> tuple[Fraction, int]:
        """The 7.2 sampling ratio and floor (see the catalogue's reading of 7.2)."""
        for o in self.obligations:
            if o.sampling_ratio is not None:
                return o.sampling_ratio, o.sampling_floor or 0
        return Fraction(1, 1000), 10


def load_catalogue(
    folder: Path | None = None,
    *,
    predicates: Iterable[str] | None = None,
    checks: Iterable[str] | None = None,
) -> Catalogue:
    """Load and validate every ``*.yaml`` / ``*.yml`` file in ``folder``.

    ``predicates`` and ``checks`` are the names the status engine knows; by
    default those of :mod:`tracker.rules`.  Raises :class:`CatalogueError`.
    """
    if predicates is None or checks is None:
        from tracker import rules

        predicates = rules.PREDICATES.keys() if predicates is None else predicates
        checks = rules.CHECKS.keys() if checks is None else checks
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
    return EvidenceKind(
        id=str(raw["id"]),
        zh=str(raw["zh"]),
        en=str(raw.get("en", raw["id"])),
        validity_months=int(validity["months"]) if "months" in validity else None,
        valid_until_contract_end=validity.get("until") == "contract_end",
        retention_years=int(raw.get("retention_years", 5)),
    )


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
