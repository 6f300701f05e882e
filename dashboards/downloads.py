"""Every table on every page goes through `show_table`: shown, and downloadable as CSV and XLSX.

The files are produced only when a button is clicked (Streamlit calls the callable then), so a
page with large tables renders as fast as one without."""
from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from dagster_project import formatting as fmt
from dagster_project.outputs import frame_csv_bytes, frame_xlsx_bytes

SHOW_ROWS = 5000  # rows drawn in the browser; the downloads carry the whole table


def to_csv(df: pd.DataFrame) -> bytes:
    """The project's one safe writer (dagster_project/outputs.py): formulas neutralised."""
    return frame_csv_bytes(df)


def to_xlsx(df: pd.DataFrame, sheet: str = "data") -> bytes:
    return frame_xlsx_bytes(df, sheet)


def show_table(df: pd.DataFrame, name: str, *, caption: str | None = None, column_config: dict | None = None,
               height: int | str = "auto", empty: str = "No rows for this selection.") -> None:
    """A table with CSV and XLSX download buttons. `name` is the file stem and widget key.
    Shown as a person reads it (dashboards.ui: labels, money with the currency, names first);
    the downloads hold the table's own columns and values. An empty table is one line of text,
    with no buttons (there is nothing to download)."""
    from dashboards.ui import column_config as readable_config
    from dashboards.ui import is_text, readable

    if df.empty:
        st.caption(empty)
        return
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "table"
    shown = df if len(df) <= SHOW_ROWS else df.head(SHOW_ROWS)
    f = st.session_state.get("_filters")
    shown = readable(shown, f.as_of if f is not None else None)
    text = [c for c in shown.columns if is_text(shown[c])]
    if text:  # missing text reads — (the grid would print None)
        shown = shown.assign(**{c: shown[c].where(shown[c].notna(), fmt.MISSING) for c in text})
    st.dataframe(shown, hide_index=True, width="stretch", column_config={**readable_config(shown), **(column_config or {})},
                 height=height)
    note = caption or ""
    if len(df) > SHOW_ROWS:
        note = (note + " " if note else "") + f"Showing {SHOW_ROWS:,} of {len(df):,} rows; the downloads hold all."
    left, mid, right = st.columns([1, 1, 6])
    left.download_button("CSV", lambda: to_csv(df), file_name=f"{stem}.csv", mime="text/csv",
                         key=f"dl_csv_{stem}", icon=":material/download:", on_click="ignore")
    mid.download_button("XLSX", lambda: to_xlsx(df, stem), file_name=f"{stem}.xlsx",
                        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        key=f"dl_xlsx_{stem}", icon=":material/download:", on_click="ignore")
    if note:
        right.caption(note)
