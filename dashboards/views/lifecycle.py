"""Hardware lifecycle and refresh plan: where assets are in their lifecycle, how many are really
used, and what replacing the ones due will cost per quarter."""
from __future__ import annotations

import streamlit as st

from dashboards import charts, drill
from dashboards.data import columns, pick, query
from dashboards.downloads import show_table
from dashboards.filters import current, note_unapplied, predicate
from dashboards.tiles import scope_note
from dashboards.ui import built, header, money, no_match, num, pct

f = current()
header("Hardware lifecycle & refresh plan", f)

# -- lifecycle ---------------------------------------------------------------------------------
p = predicate(f, "marts.dim_asset", "a")
hw = "a.asset_kind = 'device'" if "asset_kind" in columns("marts.dim_asset") else "true"
states = query("select coalesce(a.asset_class, '(unclassified)') as asset_class, "
               "coalesce(a.lifecycle_state, '(unknown)') as lifecycle_state, count(*) as assets "
               f"from marts.dim_asset a where {p.sql} and {hw} group by all", p.params)
st.subheader("Devices by class and lifecycle state")
cls = None
if states.empty:
    no_match(f, "devices")
else:
    clicked = drill.chart(charts.stacked_bars(states, "asset_class", "assets", "lifecycle_state",
                                              value_title="devices"), "lc_states")
    cls = drill.choice("Drill into class", sorted(states["asset_class"].unique()), "lc_class", clicked)
if cls:
    where = f"{hw} and " + ("a.asset_class is null" if cls == "(unclassified)" else "a.asset_class = ?")
    drill.assets(f, where, [] if cls == "(unclassified)" else [cls], name=f"devices_{cls}_{f.as_of}",
                 title=f"Devices of class {cls}")

# -- utilisation --------------------------------------------------------------------------------
st.subheader("Utilisation: active vs idle")
UT = "marts.fct_utilization"
if built(UT, "Utilisation by class and cost center", "assets_active", "assets_idle"):
    pu = predicate(f, UT, "u")
    util = query(f"select u.* from {UT} u where {pu.sql} order by u.asset_class, u.cost_center", pu.params)
    by_class = (util.groupby("asset_class", dropna=False)[["assets_active", "assets_idle"]].sum().reset_index()
                .melt("asset_class", var_name="activity", value_name="assets"))
    by_class["activity"] = by_class["activity"].str.replace("assets_", "")
    total, active = util["assets_total"].sum(), util["assets_active"].sum()
    c1, c2, c3 = st.columns(3)
    note = scope_note(pu.unapplied)
    c1.metric("Assets" + note, num(total))
    c2.metric("Active" + note, num(active))
    c3.metric("Utilisation" + note, pct(100.0 * active / total if total else None))
    if not by_class.empty:
        st.altair_chart(charts.stacked_bars(by_class.fillna({"asset_class": "(unclassified)"}), "asset_class",
                                            "assets", "activity", drill=False, value_title="assets"), width="stretch")
    show_table(util, f"utilization_{f.as_of}")
    note_unapplied(pu)

# -- refresh plan -------------------------------------------------------------------------------
st.subheader("Refresh plan by quarter")
RP = "marts.fct_refresh_plan"
if built(RP, "Refresh plan (warranty end, end of life, age)", "replacement_cost_estimate"):
    pr = predicate(f, RP, "r")
    qcol = pick(RP, "planned_quarter", "quarter", "refresh_quarter", "due_quarter")
    # The planned quarter as 'YYYYQn' text whatever the mart stores (a label, else from the due date).
    quarter = (f"cast(r.{qcol} as varchar)" if qcol else
               "strftime(r.due_date, '%Y') || 'Q' || cast(quarter(r.due_date) as varchar)")
    # Cost center from the plan row, else the asset's at the same date.
    cc = "r.cost_center" if "cost_center" in columns(RP) else (
        "(select fa.cost_center from marts.dim_asset fa where fa.asset_id = r.asset_id and fa.as_of_date = r.as_of_date)")
    plan = query(f"select {quarter} as planned_quarter, coalesce({cc}, '(none)') as cost_center, "
                 f"coalesce(r.reason, '(unknown)') as reason, count(*) as assets, "
                 f"sum(r.replacement_cost_estimate) as replacement_cost_estimate "
                 f"from {RP} r where {pr.sql} group by all order by 1, 2, 3", pr.params)
    c1, c2, c3 = st.columns(3)
    c1.metric("Assets due", num(plan["assets"].sum()))
    c2.metric("Refresh budget", money(plan["replacement_cost_estimate"].sum()))
    c3.metric("Quarters", num(plan["planned_quarter"].nunique()))
    q = None
    if plan.empty:
        no_match(f, "assets due for refresh")
    else:
        stack = st.radio("Stack by", ["cost_center", "reason"], horizontal=True, key="rp_stack",
                         format_func=lambda s: s.replace("_", " "))
        budget = plan.groupby(["planned_quarter", stack], as_index=False)["replacement_cost_estimate"].sum()
        clicked = drill.chart(charts.budget_by_quarter(budget, "planned_quarter", "replacement_cost_estimate", stack),
                              "rp_budget")
        q = drill.choice("Drill into quarter", sorted(plan["planned_quarter"].unique()), "rp_quarter", clicked)
    show_table(plan[plan["planned_quarter"] == q] if q else plan, f"refresh_plan_by_quarter_{f.as_of}",
               caption="Rolled up per planned quarter, cost center and reason.")
    note_unapplied(pr)
    if q:
        rows = query(f"select r.* from {RP} r where {pr.sql} and {quarter} = ? order by r.due_date",
                     [*pr.params, q])
        st.markdown(f"**Plan rows in {q}** — {len(rows):,}")
        show_table(rows, f"refresh_plan_{q}_{f.as_of}")
        drill.assets(f, f"a.asset_id in (select r.asset_id from {RP} r where {pr.sql} and {quarter} = ?)",
                     [*pr.params, q], name=f"refresh_assets_{q}_{f.as_of}", title=f"Assets due in {q}")
