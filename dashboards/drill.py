"""Drill from an aggregate to the underlying assets.

A chart click (altair point selection `pick`) or the "Drill into" select box next to it chooses
one value of the aggregate; the page then shows the matching rows and their assets from
dim_asset under the same global filters. The select box is the keyboard- and test-friendly twin
of the click: a new click moves it, and it stays the single source of the choice."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from dashboards.charts import PICK
from dashboards.data import columns, query
from dashboards.downloads import show_table
from dashboards.filters import Filters, note_unapplied, predicate

ALL = "(all)"
ASSET_COLUMNS = ("asset_id", "asset_name", "asset_kind", "asset_class", "lifecycle_state", "serial_number",
                 "hostname", "manufacturer", "model", "cost_center", "owner_function", "accountable_owner",
                 "assigned_user", "location", "last_seen_at", "warranty_end", "in_cmdb", "in_discovery",
                 "in_procurement", "in_fixed_assets", "match_rules")


def chart(c: alt.Chart, key: str) -> str | None:
    """Draw a drillable chart; the clicked value of its `pick` field, if any."""
    event = st.altair_chart(c, key=f"chart_{key}", on_select="rerun", selection_mode=PICK, width="stretch")
    try:
        points = event.selection[PICK]
    except (AttributeError, KeyError, TypeError):
        return None
    if points:
        first = points[0] if isinstance(points, list) else points
        if isinstance(first, dict) and first:
            return str(next(iter(first.values())))
    return None


def choice(label: str, options: list, key: str, clicked: str | None = None) -> str | None:
    """The value drilled into (None = nothing chosen), from a click or the select box."""
    skey, last, param = f"drill_{key}", f"_drill_click_{key}", f"drill_{key}"
    opts = [ALL] + [str(o) for o in options]
    # A shared URL's drill selection, the first time this page's box is drawn in the session.
    if not st.session_state.get(f"_drill_url_{key}"):
        st.session_state[f"_drill_url_{key}"] = True
        if st.query_params.get(param) in opts:
            st.session_state[skey] = st.query_params[param]
    if clicked is not None and clicked != st.session_state.get(last) and clicked in opts:
        st.session_state[skey] = clicked
    st.session_state[last] = clicked
    if st.session_state.get(skey) not in (None, *opts):
        del st.session_state[skey]
    picked = st.selectbox(label, opts, key=skey, help="Or click a bar in the chart")
    if picked == ALL:
        if param in st.query_params:
            del st.query_params[param]
        return None
    if st.query_params.get(param) != picked:
        st.query_params[param] = picked
    return picked


def assets(f: Filters, where: str = "true", params: list | tuple = (), *, name: str, title: str | None = None) -> pd.DataFrame:
    """The assets (dim_asset at the as-of date, global filters applied) matching `where` on alias a."""
    p = predicate(f, "marts.dim_asset", "a")
    have = columns("marts.dim_asset")
    cols = ", ".join(f"a.{c}" for c in ASSET_COLUMNS if c in have)
    df = query(f"select {cols} from marts.dim_asset a where {p.sql} and ({where}) order by a.asset_id",
               [*p.params, *params])
    if title:
        st.markdown(f"**{title}** — {len(df):,} assets")
    show_table(df, name)
    note_unapplied(p)
    return df
