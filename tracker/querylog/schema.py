"""The checked query-log table (查詢紀錄, point 7.2): its fields, header aliases and type.

``QueryLog.table`` is a ``pyarrow.Table`` with ``SCHEMA``: ``queried_at`` is
naive local time (Asia/Taipei, as the export writes it, to the second);
``account``, ``query_type`` and ``subject_id`` are never blank (empty or only
whitespace) and are kept as exported, not stripped (display code strips);
``purpose`` and ``ip`` are ``None`` when blank or absent; ``line`` is where the
record starts in the export (see :mod:`tracker.querylog.reader`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

REQUIRED = ("queried_at", "account", "query_type", "subject_id")
OPTIONAL = ("purpose", "ip")
# Header names per field, the zh-TW label first, matched after NFKC, casefold and
# dropping spaces, "_" and "-" ("Query Time" = "query_time").  Extend a tuple to accept more.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "queried_at": (
        "查詢時間",
        "查詢日期時間",
        "時間",
        "日期時間",
        "query_time",
        "timestamp",
        "datetime",
    ),
    "account": ("使用者帳號", "帳號", "使用者", "查詢者帳號", "user", "user_id", "username"),
    "query_type": ("查詢項目", "查詢類別", "查詢功能", "查詢種類", "query_item"),
    "subject_id": ("查詢對象證號", "查詢證號", "被查詢人證號", "身分證號", "證號", "subject"),
    "purpose": ("查詢事由", "事由", "查詢目的", "reason"),
    "ip": ("來源IP", "IP", "IP位址", "來源IP位址", "source_ip", "client_ip"),
}
LABELS = {name: aliases[0] for name, aliases in COLUMN_ALIASES.items()}  # zh-TW, for messages
SCHEMA = pa.schema(
    [
        ("queried_at", pa.timestamp("s")),
        ("account", pa.string()),
        ("query_type", pa.string()),
        ("subject_id", pa.string()),
        ("purpose", pa.string()),
        ("ip", pa.string()),
        ("line", pa.int64()),
    ]
)


@dataclass(frozen=True)
class TotalsRow:
    """The export's final totals row (合計 N 筆): its ``line`` and the ``count`` it states."""

    line: int
    count: int


@dataclass(frozen=True)
class QueryLog:
    """A validated export.  ``table`` follows ``SCHEMA`` (plus, for rows read
    back from the store, ``source_sha256``).

    ``sha256``: hex digest of the raw file bytes, ``None`` for rows gathered from
    several stored imports.  ``format``: ``csv``, ``xlsx`` or ``store``.
    ``columns``: each field found -> the header it was read from;
    ``unrecognised_columns``: the headers of the columns no field was read
    from (kept in the original file, listed so that nothing is dropped
    unseen); ``totals_row``: the final 合計 row that was skipped because its
    count equals the number of records (``None``: there was none).
    ``encoding`` of a CSV: ``utf-8``, ``cp950``, or ``cp950+big5hkscs`` when
    some characters were only in Big5-HKSCS.
    """

    table: pa.Table
    sha256: str | None
    format: str
    encoding: str | None = None
    filename: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    unrecognised_columns: tuple[str, ...] = ()
    totals_row: TotalsRow | None = None

    @property
    def population(self) -> int:
        return self.table.num_rows

    def has_column(self, name: str) -> bool:
        """True when the export had the optional column ``name`` (``purpose``, ``ip``)."""
        return name in self.columns

    def import_summary(self) -> dict:
        """What reading the export found, JSON-ready: ``format``, ``encoding``,
        ``columns`` (field -> header), ``unrecognised_columns`` (list) and
        ``totals_row`` (``{"line", "count"}`` of the skipped totals row, or ``None``)."""
        totals = self.totals_row
        return {
            "format": self.format,
            "encoding": self.encoding,
            "columns": dict(self.columns),
            "unrecognised_columns": list(self.unrecognised_columns),
            "totals_row": {"line": totals.line, "count": totals.count} if totals else None,
        }
