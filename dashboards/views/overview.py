"""Overview: assets by class and state, exceptions by type, license position."""
from __future__ import annotations

import altair as alt
import streamlit as st

from dashboards.data import query
from dashboards.filters import sidebar_filters

f = sidebar_filters()
where, params = f.asset_where("a")
st.title("ITAM overview")
st.caption(f"As of {f.as_of}")

assets = query(f"select a.asset_class, a.lifecycle_state, count(*) as assets from marts.dim_asset a "
               f"where {where} group by all", params)
exc = query(
    "select e.exception_type, e.status, count(*) as exceptions from marts.fct_reconciliation_exceptions e "
    f"join marts.dim_asset a on a.asset_id = e.asset_id and a.as_of_date = e.as_of_date where {where} "
    "and e.status <> 'resolved' group by all", params)
lic = query("select product, license_metric, entitlements, consumption, position, true_up_exposure, "
            "reclaim_savings from marts.fct_license_position where as_of_date = ? order by position", [f.as_of])

c1, c2, c3, c4 = st.columns(4)
c1.metric("Assets", f"{int(assets['assets'].sum()):,}")
c2.metric("Open exceptions", f"{int(exc['exceptions'].sum()):,}")
c3.metric("Under-licensed products", int((lic["position"] < 0).sum()))
c4.metric("True-up exposure", f"{float(lic['true_up_exposure'].sum()):,.0f}")

left, right = st.columns(2)
with left:
    st.subheader("Assets by class and lifecycle state")
    st.altair_chart(
        alt.Chart(assets.fillna({"asset_class": "(unclassified)", "lifecycle_state": "(unknown)"}))
        .mark_bar().encode(x=alt.X("assets:Q", title="assets"), y=alt.Y("asset_class:N", sort="-x", title=None),
                           color=alt.Color("lifecycle_state:N", title="state"), tooltip=["asset_class", "lifecycle_state", "assets"]),
        use_container_width=True)
with right:
    st.subheader("Open exceptions by type")
    st.altair_chart(
        alt.Chart(exc).mark_bar().encode(
            x=alt.X("exceptions:Q"), y=alt.Y("exception_type:N", sort="-x", title=None),
            color=alt.Color("status:N"), tooltip=["exception_type", "status", "exceptions"]),
        use_container_width=True)

st.subheader("License position")
st.altair_chart(
    alt.Chart(lic).mark_bar().encode(
        x=alt.X("position:Q", title="entitlements − consumption"), y=alt.Y("product:N", sort="x", title=None),
        color=alt.condition("datum.position < 0", alt.value("#d62728"), alt.value("#2ca02c")),
        tooltip=list(lic.columns)),
    use_container_width=True)
st.dataframe(lic, hide_index=True, use_container_width=True)
