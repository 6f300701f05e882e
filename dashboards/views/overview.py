"""Overview, for the governance meeting: six headline tiles first (exposure, savings, open
exceptions, data-quality pass rate, refresh due, unowned), the other KPIs below, then the charts
behind them. Every tile is a sum of fct_governance_kpis rows under the filters (dashboards.tiles);
the charts below read the rows those KPIs count, so a tile and its chart agree."""
from __future__ import annotations

import streamlit as st

from dagster_project import formatting as fmt
from dashboards import charts, drill, tiles
from dashboards.data import currency, query
from dashboards.downloads import show_table
from dashboards.filters import current, note_unapplied, predicate
from dashboards.ui import built, header, no_match

f = current()
header("ITAM overview", f)
tiles.silent_feed_banner(f)

if built(tiles.KPIS, "Governance KPIs", "breakdown", "numerator"):
    series = tiles.kpi_series(f)
    at = series[series["as_of_date"] == f.as_of]
    headline = at[at["is_headline"].astype(bool)]["kpi"].tolist()
    others = at[~at["is_headline"].astype(bool)]["kpi"].tolist()
    for start in range(0, len(headline), 4):
        for col, t in zip(st.columns(4), tiles.tiles(series, f.as_of, headline[start:start + 4])):
            tiles.show(t, col)
    with st.expander("More KPIs", expanded=False):
        more = tiles.tiles(series, f.as_of, others)
        for start in range(0, len(more), 4):
            for col, t in zip(st.columns(4), more[start:start + 4]):
                tiles.show(t, col)
        trend = series[["as_of_date", "label", "value"]].dropna(subset=["value"])
        st.altair_chart(charts.trend(trend, "value", facet="label", columns=4, y_title="",
                                     facet_sort=list(dict.fromkeys(series["label"]))), width="stretch")
        wide = series.pivot(index="label", columns="as_of_date", values="value").reindex(
            list(dict.fromkeys(series["label"]))).reset_index()
        show_table(wide, f"kpis_{f.as_of}", caption="Each KPI per as-of date, in its unit (money in "
                   f"{currency() or 'the reporting currency'}, percentages 0–100).")

p = predicate(f, "marts.dim_asset", "a")
# The same assets as the "Assets in service" KPI: neither retired nor disposed.
assets = query(f"select coalesce(a.asset_class, '(unclassified)') as asset_class, "
               f"coalesce(a.lifecycle_state, '(unknown)') as lifecycle_state, count(*) as assets "
               f"from marts.dim_asset a where {p.sql} "
               "and coalesce(a.lifecycle_state, '') not in ('retired', 'disposed') group by all", p.params)
if assets.empty:
    no_match(f)
else:
    pe = predicate(f, "marts.fct_reconciliation_exceptions", "e")
    exc = query("select e.exception_type, e.status, count(*) as exceptions from marts.fct_reconciliation_exceptions e "
                f"where {pe.sql} and e.counts_as_open group by all", pe.params)
    left, right = st.columns(2)
    with left:
        st.subheader("Assets in service by class and state")
        clicked = drill.chart(charts.stacked_bars(assets, "asset_class", "assets", "lifecycle_state",
                                                  value_title="assets"), "ov_assets")
        chosen = drill.choice("Drill into class", sorted(assets["asset_class"].unique()), "ov_class", clicked)
    with right:
        st.subheader("Exceptions counting as open, by type")
        if exc.empty:
            st.caption("No exception counts as open for this selection.")
        else:
            st.altair_chart(charts.stacked_bars(exc, "exception_type", "exceptions", "status", drill=False,
                                                value_title="exceptions"), width="stretch")
            silent = tiles.silent_feeds(f)["exceptions"].sum()
            if silent:
                st.caption(f"{fmt.count(exc['exceptions'].sum())} exceptions: the Open exceptions tile, plus "
                           f"{fmt.count(silent)} explained by a silent feed (banner above).")

    if chosen:
        # the assets of the bar: in service, like the chart and the tile
        where = ("coalesce(a.lifecycle_state, '') not in ('retired', 'disposed') and "
                 + ("a.asset_class is null" if chosen == "(unclassified)" else "a.asset_class = ?"))
        drill.assets(f, where, [] if chosen == "(unclassified)" else [chosen], name=f"assets_{chosen}_{f.as_of}",
                     title=f"Assets in service of class {chosen}")

pl = predicate(f, "marts.fct_license_position", "l")
if built("marts.fct_license_position", "License position", "position"):
    lic = query("select l.* from marts.fct_license_position l "
                f"where {pl.sql} order by l.position, l.product", pl.params)
    st.subheader("License position per product")
    note_unapplied(pl, "The license position (and the exposure and savings tiles)")
    if lic.empty:
        st.caption("No license position at this as-of date.")
    else:
        st.altair_chart(charts.license_position(lic), width="stretch")
