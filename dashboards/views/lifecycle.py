"""Hardware lifecycle and refresh plan: where assets are in their lifecycle, how many are really
used, and what the refresh plan will do (replace, upgrade the OS, decide on a warranty end) and
cost per quarter."""
from __future__ import annotations

import streamlit as st

from dagster_project import formatting as fmt
from dashboards import charts, drill, tiles
from dashboards.data import columns, pick, query
from dashboards.downloads import show_table
from dashboards.filters import current, note_unapplied, predicate
from dashboards.tiles import scope_note
from dashboards.ui import built, header, no_match, num, pct

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
# The tiles are the refresh KPIs of fct_governance_kpis (one definition, split by the plan's
# action, money = planned_cost); the chart and tables below read the plan rows those KPIs sum.
REFRESH_KPIS = ["refresh_replacements_due", "refresh_replacement_cost_planned", "refresh_warranty_decisions_due",
                "refresh_warranty_replacement_option_cost", "refresh_os_upgrades_due", "refresh_os_upgrade_cost_planned"]
if built(RP, "Refresh plan (warranty end, end of life, age)", "action", "planned_cost"):
    if tiles.available():
        shown_tiles = tiles.tiles(tiles.kpi_series(f), f.as_of, REFRESH_KPIS)
        for start in range(0, len(shown_tiles), 2):
            row = st.columns(2)
            for col, t in zip(row, shown_tiles[start:start + 2]):
                tiles.show(t, col)
    pr = predicate(f, RP, "r")
    qcol = pick(RP, "planned_quarter", "quarter", "refresh_quarter", "due_quarter")
    # The planned quarter as 'YYYYQn' text whatever the mart stores (a label, else from the due date).
    quarter = (f"cast(r.{qcol} as varchar)" if qcol else
               "strftime(r.due_date, '%Y') || 'Q' || cast(quarter(r.due_date) as varchar)")
    # Cost center from the plan row, else the asset's at the same date.
    cc = "r.cost_center" if "cost_center" in columns(RP) else (
        "(select fa.cost_center from marts.dim_asset fa where fa.asset_id = r.asset_id and fa.as_of_date = r.as_of_date)")
    plan = query(f"select {quarter} as planned_quarter, coalesce({cc}, '(none)') as cost_center, "
                 f"r.action, coalesce(r.reason, '(unknown)') as reason, count(*) as assets, "
                 f"coalesce(sum(r.planned_cost), 0) as planned_cost "
                 f"from {RP} r where {pr.sql} group by all order by 1, 2, 3, 4", pr.params)
    q = None
    if plan.empty:
        no_match(f, "assets due for refresh")
    else:
        st.caption(f"Planned over {fmt.count(plan['planned_quarter'].nunique())} quarters; replacements are "
                   "queued within the policy's capacity per quarter.")
        stack = st.radio("Stack by", ["action", "cost_center", "reason"], horizontal=True, key="rp_stack",
                         format_func=lambda s: s.replace("_", " "))
        budget = plan.groupby(["planned_quarter", stack], as_index=False)["planned_cost"].sum()
        clicked = drill.chart(charts.budget_by_quarter(budget, "planned_quarter", "planned_cost", stack),
                              "rp_budget")
        q = drill.choice("Drill into quarter", sorted(plan["planned_quarter"].unique()), "rp_quarter", clicked)
    show_table(plan[plan["planned_quarter"] == q] if q else plan, f"refresh_plan_by_quarter_{f.as_of}",
               caption="Rolled up per planned quarter, cost center, action and reason; planned cost in the "
                       "reporting currency.")
    note_unapplied(pr)
    if q:
        rows = query(f"select r.* from {RP} r where {pr.sql} and {quarter} = ? order by r.due_date",
                     [*pr.params, q])
        st.markdown(f"**Plan rows in {q}** — {len(rows):,}")
        show_table(rows, f"refresh_plan_{q}_{f.as_of}")
        drill.assets(f, f"a.asset_id in (select r.asset_id from {RP} r where {pr.sql} and {quarter} = ?)",
                     [*pr.params, q], name=f"refresh_assets_{q}_{f.as_of}", title=f"Assets due in {q}")
