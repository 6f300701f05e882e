"""Overview: the governance meeting's numbers with their change since the previous as-of date,
their trend, and assets / exceptions / license position at a glance."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import charts, drill
from dashboards.data import query
from dashboards.downloads import show_table
from dashboards.filters import current, note_unapplied, predicate
from dashboards.kpis import kpi_table, open_exception, published_kpis
from dashboards.ui import header

f = current()
header("ITAM overview", f)

kpis = kpi_table(f)
dates = sorted(kpis["as_of_date"].unique())
prev = max((d for d in dates if d < f.as_of), default=None)
st.caption("Change against the previous as-of date" + (f" ({prev})." if prev else ": none yet (first snapshot)."))
order = list(dict.fromkeys(kpis["kpi"]))
rows = kpis[kpis["as_of_date"] == f.as_of].to_dict("records")
for start in range(0, len(rows), 4):
    for col, r in zip(st.columns(4), rows[start:start + 4]):
        series = kpis[kpis["kpi"] == r["kpi"]].sort_values("as_of_date")
        before = series[series["as_of_date"] == prev]["value"]
        delta = None if before.empty else r["value"] - float(before.iloc[0])
        delta = None if delta is None or pd.isna(delta) else delta
        col.metric(r["kpi"], r["text"], None if delta is None else f"{delta:+,.{r['digits']}f}",
                   delta_color="off" if not delta else "inverse" if r["lower_is_better"] else "normal",
                   delta_arrow="off" if not delta else "auto", help=r["help"],
                   chart_data=series["value"].fillna(0).tolist() if len(series) > 1 else None, chart_type="line")

with st.expander("Trends across as-of dates"):
    st.altair_chart(charts.trend(kpis[["as_of_date", "kpi", "value"]], "value", facet="kpi", columns=4, y_title="",
                                 facet_sort=order),
                    width="stretch")
    wide = kpis.pivot(index="as_of_date", columns="kpi", values="value")[order].reset_index()
    show_table(wide, f"kpis_{f.as_of}")
    for note in sorted({n for n in kpis["unapplied"] if n}):
        st.caption(note)

published = published_kpis(f)
if published is not None:
    st.subheader("Governance KPIs as published")
    show_table(published, f"governance_kpis_{f.as_of}")

p = predicate(f, "marts.dim_asset", "a")
assets = query(f"select coalesce(a.asset_class, '(unclassified)') as asset_class, "
               f"coalesce(a.lifecycle_state, '(unknown)') as lifecycle_state, count(*) as assets "
               f"from marts.dim_asset a where {p.sql} group by all", p.params)
pe = predicate(f, "marts.fct_reconciliation_exceptions", "e")
exc = query("select e.exception_type, e.status, count(*) as exceptions from marts.fct_reconciliation_exceptions e "
            f"where {pe.sql} and {open_exception('e')} group by all", pe.params)

left, right = st.columns(2)
with left:
    st.subheader("Assets by class and lifecycle state")
    clicked = drill.chart(charts.stacked_bars(assets, "asset_class", "assets", "lifecycle_state"), "ov_assets")
    chosen = drill.choice("Drill into class", sorted(assets["asset_class"].unique()), "ov_class", clicked)
with right:
    st.subheader("Open exceptions by type")
    st.altair_chart(charts.stacked_bars(exc, "exception_type", "exceptions", "status", drill=False), width="stretch")

if chosen:
    where = "a.asset_class is null" if chosen == "(unclassified)" else "a.asset_class = ?"
    drill.assets(f, where, [] if chosen == "(unclassified)" else [chosen], name=f"assets_{chosen}_{f.as_of}",
                 title=f"Assets of class {chosen}")

pl = predicate(f, "marts.fct_license_position", "l")
lic = query("select l.publisher, l.product, l.license_metric, l.entitlements, l.consumption, l.position, "
            f"l.true_up_exposure_one_time, l.true_up_exposure_per_year, l.recurring_savings_per_year "
            f"from marts.fct_license_position l where {pl.sql} "
            "order by l.position, l.product", pl.params)
st.subheader("License position")
st.altair_chart(charts.license_position(lic), width="stretch")
note_unapplied(pl, "The license position")
