"""License position and reclamation: which products are under-licensed (true-up exposure), which
licenses sit unused (reclaim savings), and which devices or users hold them."""
from __future__ import annotations

import streamlit as st

from dashboards import charts, drill, tiles
from dashboards.data import currency, pick, query
from dashboards.downloads import show_table
from dashboards.filters import current, note_unapplied, predicate
from dashboards.ui import built, header, money, num

f = current()
header("License position & reclamation", f,
       "Position = entitlements − consumption; **negative = under-licensed** (red). "
       "Reclaimable = licenses consumed by a device or user with no use in the reclaim window.")

POS = "marts.fct_license_position"
p = predicate(f, POS, "l")
lic = query(f"select l.* from {POS} l where {p.sql} order by l.position, l.product", p.params)

row = st.columns(4)
row[0].metric("Products" + tiles.scope_note(p.unapplied, whole=True), f"{lic['product'].nunique():,}", border=True)
if tiles.available():  # the governance KPIs, as on the Overview (fct_governance_kpis)
    series = tiles.kpi_series(f)
    for col, t in zip(row[1:], tiles.tiles(series, f.as_of, ["under_licensed_products", "true_up_exposure",
                                                             "reclaim_savings"])):
        tiles.show(t, col)

st.subheader("Position by product")
clicked = drill.chart(charts.license_position(lic), "lic_position")
product = drill.choice("Drill into product", sorted(lic["product"].unique()), "lic_product", clicked)
note_unapplied(p, "The license position (one row per product)")

shown = [c for c in ("publisher", "product", "license_metric", "entitlements", "consumption", "active_consumption_90d",
                     "position", "over_licensed", "reclaimable", "unit_cost", "reclaim_savings", "true_up_exposure",
                     "consumption_rule") if c in lic.columns]
show_table(lic[lic["product"] == product][shown] if product else lic[shown], f"license_position_{f.as_of}")

pt = predicate(f, POS, "l", dates="upto")
trend = query(f"select cast(l.as_of_date as varchar) as as_of_date, sum(l.true_up_exposure) as true_up_exposure, "
              f"sum(l.reclaim_savings) as reclaim_savings from {POS} l where {pt.sql} group by 1 order by 1", pt.params)
long = trend.melt("as_of_date", var_name="measure", value_name="amount")
st.subheader("Exposure and savings across as-of dates")
if not long.empty:
    st.altair_chart(charts.trend(long, "amount", "measure", y_title=f"amount ({currency() or 'reporting currency'})"),
                    width="stretch")

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
    savings = pick(REC, "reclaim_savings", "savings", "annual_savings")
    c1, c2 = st.columns(2)
    c1.metric("Candidates", f"{len(rec):,}")
    if savings:
        c2.metric("Savings if reclaimed", money(rec[savings].sum()))
    show_table(rec, f"license_reclamation_{product or 'all'}_{f.as_of}")
    note_unapplied(pr)
    if "asset_id" in rec.columns and product:
        drill.assets(f, f"a.asset_id in (select r.asset_id from {REC} r where {where})", params,
                     name=f"reclaim_assets_{product}_{f.as_of}", title=f"Devices holding reclaimable {product}")
elif product:
    st.caption(f"{product}: {num(lic.loc[lic['product'] == product, 'reclaimable'].sum())} reclaimable units "
               "(the per-device list needs the reclamation mart).")
