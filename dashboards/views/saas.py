"""SaaS overlap: apps grouped by function category; a category with more than one paid app is an
overlap (red). Paid seats against active users show what could be cut."""
from __future__ import annotations

import streamlit as st

from dashboards import charts, drill
from dashboards.data import columns, pick, query
from dashboards.downloads import show_table
from dashboards.filters import current, note_unapplied, predicate
from dashboards.tiles import scope_note
from dashboards.ui import built, header, money, num

f = current()
header("SaaS overlap", f)

SO = "marts.fct_saas_overlap"
if built(SO, "SaaS apps by function category", "function_category", "annual_cost", "overlap_flag"):
    ps = predicate(f, SO, "s")
    app = pick(SO, "app_name", "saas_app", "app", "application", "product") or "function_category"
    apps = query(f"select s.* from {SO} s where {ps.sql} order by s.function_category, s.{app}", ps.params)
    apps["function_category"] = apps["function_category"].fillna("(uncategorised)")
    cats = (apps.groupby("function_category", as_index=False)
            .agg(apps=(app, "count"), annual_cost=("annual_cost", "sum"), overlap=("overlap_flag", "max")))
    c1, c2, c3, c4 = st.columns(4)
    note = scope_note(ps.unapplied, whole=True)  # one row per app: the global filters cannot apply
    c1.metric("Apps" + note, num(len(apps)))
    c2.metric("Annual cost" + note, money(apps["annual_cost"].sum()))
    c3.metric("Overlapping categories" + note, num(int(cats["overlap"].fillna(False).astype(bool).sum())))
    c4.metric("Annual cost in overlaps" + note,
              money(apps.loc[apps["overlap_flag"].fillna(False).astype(bool), "annual_cost"].sum()))

    st.subheader("Annual cost by function category")
    clicked = drill.chart(charts.flagged_bars(cats, "function_category", "annual_cost", "overlap",
                                              value_title="annual cost", labels=("overlap", "single app")), "saas_cats")
    cat = drill.choice("Drill into category", cats["function_category"].tolist(), "saas_cat", clicked)
    shown = apps[apps["function_category"] == cat] if cat else apps

    if {"paid_seats", "active_users_90d"} <= set(shown.columns):
        seats = shown.melt(app, value_vars=["paid_seats", "active_users_90d"], var_name="measure", value_name="seats")
        st.subheader("Paid seats vs active users (90 days)")
        st.altair_chart(charts.grouped_bars(seats, app, "seats", "measure"), width="stretch")
    show_table(shown, f"saas_overlap_{cat or 'all'}_{f.as_of}")
    note_unapplied(ps, "SaaS overlap (one row per app)")
    if cat and "asset_kind" in columns("marts.dim_asset"):
        names = [str(n).lower() for n in shown[app].dropna()]
        if names:
            drill.assets(f, f"a.asset_kind = 'saas_app' and lower(a.asset_name) in ({', '.join('?' * len(names))})",
                         names, name=f"saas_assets_{cat}_{f.as_of}", title=f"SaaS assets in {cat}")
