"""The obligation catalogue as data: obligations, evidence kinds, timing, legal bases.

Plain frozen records; :mod:`tracker.compliance.loader` reads and validates them
from ``checklists/*.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from tracker.core.errors import CatalogueError
from tracker.domain.enums import ProtectionLevel, Role, SubjectKind

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
    """A kind of document; ``validity_months`` or ``valid_until_contract_end`` bound it.

    What every document of the kind must contain, checked by the automatic
    inspection: ``texts`` (phrases such as the form's title), ``date`` (some
    date must appear), and per system protection level the ``level_texts``
    (e.g. the security tests a contract's level requires).  ``wordings``
    gives, for a text, the other wordings that count as it (the text itself
    is the name reported when none is found).  ``reading`` says how the
    catalogue reads the rule behind these.
    """

    id: str
    zh: str
    en: str
    validity_months: int | None = None
    valid_until_contract_end: bool = False
    retention_years: int = 5
    texts: tuple[str, ...] = ()
    date: bool = False
    level_texts: tuple[tuple[ProtectionLevel, tuple[str, ...]], ...] = ()
    wordings: tuple[tuple[str, tuple[str, ...]], ...] = ()
    reading: str = ""

    def texts_for(self, level: ProtectionLevel | None) -> tuple[str, ...]:
        """The texts a contract of ``level`` requires (``()`` for ``None``: level unknown)."""
        return dict(self.level_texts).get(level, ()) if level is not None else ()

    def wordings_of(self, text: str) -> tuple[str, ...]:
        """``text`` and the other wordings that count as it."""
        return (text, *dict(self.wordings).get(text, ()))


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
    reading_zh: str = ""  # the reading in zh-TW, where people read it (screens, the audit record)

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
        """The 7.2 sampling ratio and floor, as the catalogue writes them with its reading.

        The one source of the sample size for the web app, the CLI and the
        audit record.  Raises CatalogueError when no obligation carries them.
        """
        for o in self.obligations:
            if o.sampling_ratio is not None:
                return o.sampling_ratio, o.sampling_floor or 0
        raise CatalogueError(
            "清單未寫明 7.2 的抽樣比例", "the catalogue gives no sampling ratio for point 7.2"
        )
