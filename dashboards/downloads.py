"""Every table on every page goes through `show_table`: shown, and downloadable as CSV and XLSX.

The files are produced only when a button is clicked (Streamlit calls the callable then), so a
page with large tables renders as fast as one without."""
from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from dagster_project.outputs import frame_csv_bytes, frame_xlsx_bytes

SHOW_ROWS = 5000  # rows drawn in the browser; the downloads carry the whole table


def _date_columns(df: pd.DataFrame) -> dict:
    """DATE columns arrive as midnight timestamps: show them as dates."""
    out = {}
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_datetime64_any_dtype(s) and not isinstance(s.dtype, pd.DatetimeTZDtype):
            v = s.dropna()
            if not v.empty and (v == v.dt.normalize()).all():
                out[c] = st.column_config.DateColumn(format="YYYY-MM-DD")
    return out


def to_csv(df: pd.DataFrame) -> bytes:
    """The project's one safe writer (dagster_project/outputs.py): formulas neutralised."""
    return frame_csv_bytes(df)


def to_xlsx(df: pd.DataFrame, sheet: str = "data") -> bytes:
    return frame_xlsx_bytes(df, sheet)


def show_table(df: pd.DataFrame, name: str, *, caption: str | None = None, column_config: dict | None = None,
               height: int | str = "auto") -> None:
    """A table with CSV and XLSX download buttons. `name` is the file stem and widget key."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "table"
    shown = df if len(df) <= SHOW_ROWS else df.head(SHOW_ROWS)
    st.dataframe(shown, hide_index=True, width="stretch", column_config={**_date_columns(shown), **(column_config or {})},
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
