"""Charts shared by the dashboard and the matrix: percentage bars and the vendor × obligation heat-map."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

from tracker.domain.enums import Status
from tracker.services.dashboard import Table


def percent_bars(table: Table) -> None:
    """A horizontal bar per row of a roll-up table (its name, its %, ok/applicable)."""
    frame = pd.DataFrame(
        [(r.name, r.percent, f"{r.ok}/{r.applicable}") for r in table.rows],
        columns=["name", "percent", "ratio"],
    )
    if frame.empty:
        st.info("（無資料）")
        return
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("percent:Q", scale=alt.Scale(domain=[0, 100]), title="合規率 (%)"),
            y=alt.Y("name:N", sort=None, title=None, axis=alt.Axis(labelLimit=280)),
            color=alt.Color(
                "percent:Q", scale=alt.Scale(domain=[0, 60, 80, 100], range=_RAMP), legend=None
            ),
            tooltip=[
                alt.Tooltip("name:N", title="名稱"),
                alt.Tooltip("percent:Q", title="合規率 (%)"),
                alt.Tooltip("ratio:N", title="符合/適用"),
            ],
        )
    )
    st.altair_chart(chart, width="stretch", height=60 + 28 * len(frame))


_RAMP = ["#c0392b", "#e67e22", "#f1c40f", "#27ae60"]


def vendor_obligation_matrix(rows, vendor_names: dict[str, str]) -> pd.DataFrame:
    """Compliance % per vendor (rows) and obligation (columns); empty where nothing applies."""
    counts: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        if r.vendor_id is None or r.status == Status.NOT_APPLICABLE:
            continue
        cell = counts.setdefault(
            (vendor_names.get(r.vendor_id, r.vendor_id), r.obligation_id), [0, 0]
        )
        cell[0] += r.ok
        cell[1] += 1
    obligations = sorted({o for _, o in counts}, key=lambda o: [int(p) for p in o.split(".")])
    vendors = sorted({v for v, _ in counts})
    data = {o: [_percent(counts.get((v, o))) for v in vendors] for o in obligations}
    return pd.DataFrame(data, index=pd.Index(vendors, name="廠商"))


def _percent(cell: list[int] | None) -> float:
    return round(100.0 * cell[0] / cell[1], 1) if cell and cell[1] else math.nan


def heatmap(frame: pd.DataFrame) -> None:
    """The matrix with a red-to-green background per cell (pandas Styler; no matplotlib needed)."""
    if frame.empty:
        st.info("（無資料）")
        return
    shown = frame.map(lambda v: "—" if pd.isna(v) else f"{v:.0f}%")
    styled = shown.style.apply(lambda _: frame.map(_cell_colour), axis=None)
    # Narrow fixed columns: twelve obligations and the vendor fit 1024 px without scrolling.
    config = {column: st.column_config.TextColumn(width=46) for column in frame.columns}
    config["_index"] = st.column_config.TextColumn(width=160)
    st.dataframe(styled, width="stretch", column_config=config)


def _cell_colour(value) -> str:
    if value is None or pd.isna(value):
        return "background-color: #f4f4f4; color: #999"
    if value >= 100:
        return "background-color: #c8e6c9"
    if value >= 80:
        return "background-color: #fff3b0"
    if value >= 50:
        return "background-color: #ffd6a5"
    return "background-color: #f8b4b4"
