"""Effective license position and reclamation: what must be bought after reharvesting (true-up,
one-time and per year apart), what idle licenses save per year, what perpetual licenses can be
reused (reharvest, never a saving), what unassigned entitlements cost (shelfware), and which devices
or users hold idle licenses (issue 13)."""
from __future__ import annotations

import streamlit as st

from dashboards import charts, drill
from dashboards.data import pick, query
from dashboards.downloads import show_table
from dashboards.filters import current, note_unapplied, predicate
from dashboards.ui import built, header, money, num

f = current()
header("License position & reclamation", f,
       "Each product's entitlements of every metric are pooled and cover each install once; position = "
       "entitlements − consumption in the product's true-up metric; **negative = under-licensed** (red). "
       "Reclaimable = consumption with no use in the reclaim window. One-time and per-year amounts are "
       "never added together.")

POS = "marts.fct_license_position"
p = predicate(f, POS, "l")
lic = query(f"select l.* from {POS} l where {p.sql} order by l.position, l.product", p.params)

c1, c2, c3, c4 = st.columns(4)
c1.metric("Products", f"{lic['product'].nunique():,}")
c2.metric("To true up (after reharvesting)", f"{int((lic['true_up_units'] > 0).sum()):,}")
c3.metric("True-up, one-time (perpetual)", money(lic["true_up_exposure_one_time"].sum()))
c4.metric("True-up per year (subscriptions)", money(lic["true_up_exposure_per_year"].sum()))
c5, c6, c7 = st.columns(3)
c5.metric("Recurring savings per year", money(lic["recurring_savings_per_year"].sum()),
          help="Idle licenses that can be dropped: subscription price or the perpetual support fee; "
               "0 on products with anything left to buy")
c6.metric("Reharvest value (one-time)", money(lic["reharvest_value"].sum()),
          help="Perpetual licenses reusable instead of bought; not a saving")
c7.metric("Shelfware per year", money(lic["shelfware_cost_per_year"].sum()),
          help="Entitlements paid for but assigned to no consumption")

st.subheader("Position by product")
clicked = drill.chart(charts.license_position(lic), "lic_position")
product = drill.choice("Drill into product", sorted(lic["product"].unique()), "lic_product", clicked)
note_unapplied(p, "The license position (one row per product)")

shown = [c for c in ("publisher", "product", "license_metric", "metrics_pooled", "entitlements", "consumption",
                     "active_consumption_90d", "position", "over_licensed", "reclaimable", "shortfall_units",
                     "true_up_units", "unit_cost", "license_type", "true_up_exposure_one_time",
                     "true_up_exposure_per_year", "recurring_savings_per_year", "reharvest_value",
                     "shelfware_cost_per_year", "vms_covered_by_host", "consumption_rule") if c in lic.columns]
show_table(lic[lic["product"] == product][shown] if product else lic[shown], f"license_position_{f.as_of}")
DETAIL = "marts.fct_license_position_detail"
if product and built(DETAIL, "The per-metric breakdown"):
    pd_ = predicate(f, DETAIL, "d")
    st.caption(f"{product}: entitlements of each metric and what they cover, in the declared order")
    show_table(query(f"select d.* from {DETAIL} d where {pd_.sql} and d.product = ? order by d.cover_order",
                     [*pd_.params, product]), f"license_position_detail_{product}_{f.as_of}")

pt = predicate(f, POS, "l", dates="upto")
trend = query(f"select cast(l.as_of_date as varchar) as as_of_date, "
              f"sum(l.true_up_exposure_per_year) as true_up_exposure_per_year, "
              f"sum(l.recurring_savings_per_year) as recurring_savings_per_year, "
              f"sum(l.shelfware_cost_per_year) as shelfware_cost_per_year "
              f"from {POS} l where {pt.sql} group by 1 order by 1", pt.params)
long = trend.melt("as_of_date", var_name="measure", value_name="amount")
st.subheader("Yearly figures across as-of dates (one-time amounts are in the table)")
st.altair_chart(charts.trend(long, "amount", "measure", y_title="amount"), width="stretch")

st.subheader("Reclamation candidates")
REC = "marts.fct_license_reclamation"
if built(REC, "Reclamation candidates (device or user, last use, savings)"):
    pr = predicate(f, REC, "r")
    prod_col = pick(REC, "product", "product_norm")
    where, params = pr.sql, list(pr.params)
    if product and prod_col:
        where += f" and r.{prod_col} = ?"
        params.append(product)
    rec = query(f"select r.* from {REC} r where {where}", params)
    savings = pick(REC, "recurring_savings_per_year", "savings")
    c1, c2, c3 = st.columns(3)
    c1.metric("Candidates", f"{len(rec):,}")
    if savings:
        c2.metric("Savings per year if reclaimed", money(rec[savings].sum()))
    if "reharvest_value" in rec.columns:
        c3.metric("Reharvest value (one-time)", money(rec["reharvest_value"].sum()))
    show_table(rec, f"license_reclamation_{product or 'all'}_{f.as_of}")
    note_unapplied(pr)
    if "asset_id" in rec.columns and product:
        drill.assets(f, f"a.asset_id in (select r.asset_id from {REC} r where {where})", params,
                     name=f"reclaim_assets_{product}_{f.as_of}", title=f"Devices holding reclaimable {product}")
elif product:
    st.caption(f"{product}: {num(lic.loc[lic['product'] == product, 'reclaimable'].sum())} reclaimable units "
               "(the per-device list needs the reclamation mart).")
