"""Software end of life (issue 14.7): installs and devices on end-of-life or soon-unsupported
releases (databases, operating systems, network firmware, models), per product, cost center and
owner, from marts.fct_software_eol."""
from __future__ import annotations

import streamlit as st

from dashboards import charts
from dashboards.data import query
from dashboards.downloads import show_table
from dashboards.filters import current, note_unapplied, predicate
from dashboards.ui import built, header, num

f = current()
header("Software end of life", f,
       "Releases the declared eol_products rules map to endoflife.date cycles. Statuses: end_of_life, "
       "extended_support (past end of life, inside paid extended support), eol_soon (within the "
       "policy's eol horizon), supported, unknown (cycle not in the loaded reference data). "
       "`itam taxonomy eol-suggest` lists installed names no rule matches yet.")

T = "marts.fct_software_eol"
if built(T, "Software end of life", "eol_status", "basis"):
    p = predicate(f, T, "e")
    rows = query(f"select e.* from {T} e where {p.sql} order by e.eol_date nulls last, e.asset_name", p.params)
    at_risk = rows[rows["eol_status"].isin(["end_of_life", "extended_support", "eol_soon"])]
    c1, c2, c3 = st.columns(3)
    c1.metric("Devices with an end-of-life release",
              num(rows.loc[rows["eol_status"] == "end_of_life", "asset_id"].nunique()))
    c2.metric("Only on extended support", num(rows.loc[rows["eol_status"] == "extended_support", "asset_id"].nunique()))
    c3.metric("End of life within the horizon", num(rows.loc[rows["eol_status"] == "eol_soon", "asset_id"].nunique()))

    st.subheader("By product and status")
    if not rows.empty:
        by_product = (rows.assign(product_cycle=rows["eol_product"] + " " + rows["eol_cycle"])
                      .groupby(["product_cycle", "eol_status"], as_index=False)["asset_id"].nunique()
                      .rename(columns={"asset_id": "devices"}))
        st.altair_chart(charts.stacked_bars(by_product, "product_cycle", "devices", "eol_status", drill=False),
                        width="stretch")

    st.subheader("At risk by cost center and owner")
    if at_risk.empty:
        st.caption("Nothing at end of life, on extended support only, or due within the horizon.")
    else:
        by_cc = (at_risk.fillna({"cost_center": "(none)", "accountable_owner": "(none)"})
                 .groupby(["cost_center", "accountable_owner", "basis", "eol_status"], as_index=False)
                 .agg(devices=("asset_id", "nunique"), installs=("asset_id", "size")))
        show_table(by_cc, f"software_eol_by_cost_center_{f.as_of}")

    st.subheader("Installs and devices")
    show_table(rows, f"software_eol_{f.as_of}")
    note_unapplied(p)
