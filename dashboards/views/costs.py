"""TCO and cost allocation by cost center: what the estate costs (acquisition, maintenance,
licenses, cloud and SaaS, disposal) per cost center, and how the GL is allocated per period."""
from __future__ import annotations

import streamlit as st

from dashboards import charts, drill
from dashboards.data import columns, pick, query
from dashboards.downloads import show_table
from dashboards.filters import current, note_unapplied, predicate
from dashboards.tiles import scope_note
from dashboards.ui import built, header, money, no_match

f = current()
header("TCO & cost allocation", f)

# -- TCO -----------------------------------------------------------------------------------------
TCO = "marts.fct_asset_tco"
# The parts of tco_to_date (fct_asset_tco: the expense view, capital cost entering through
# depreciation), so the bars of a cost center add up to its TCO tile.
COMPONENTS = ("depreciation_to_date", "maintenance_cost", "license_cost", "cloud_saas_cost", "disposal_cost")
st.subheader("Total cost of ownership")
if built(TCO, "Asset TCO", "tco_to_date"):
    have = columns(TCO)
    comps = [c for c in COMPONENTS if c in have]
    pt = predicate(f, TCO, "t")
    cc = "t.cost_center" if "cost_center" in have else (
        "(select fa.cost_center from marts.dim_asset fa where fa.asset_id = t.asset_id and fa.as_of_date = t.as_of_date)")
    sums = ", ".join(f"sum(t.{c}) as {c}" for c in dict.fromkeys((*comps, "tco_to_date") +
                     tuple(c for c in ("tco_annualised", "net_book_value", "acquisition_cost") if c in have)))
    by_cc = query(f"select coalesce({cc}, '(none)') as cost_center, count(*) as assets, {sums} "
                  f"from {TCO} t where {pt.sql} group by 1 order by tco_to_date desc", pt.params)
    if by_cc.empty:
        no_match(f, "assets with cost")
    else:
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("TCO to date", money(by_cc["tco_to_date"].sum()),
                  help="Depreciation to date + maintenance + licenses + cloud/SaaS + disposal: the bars below")
        if "tco_annualised" in by_cc:
            c2.metric("TCO annualised", money(by_cc["tco_annualised"].sum()))
        if "net_book_value" in by_cc:
            c3.metric("Net book value", money(by_cc["net_book_value"].sum()))
        c4.metric("Assets with cost", f"{int(by_cc['assets'].sum()):,}")

        spend = by_cc.melt("cost_center", value_vars=comps, var_name="category", value_name="amount")
        spend["category"] = spend["category"].str.replace("_to_date", "").str.replace("_cost", "").str.replace("_", " ")
        st.markdown("**TCO to date by component per cost center** (click a bar to list its assets)")
        clicked = drill.chart(charts.stacked_bars(spend, "cost_center", "amount", "category", value_title="amount"),
                              "tco_cc")
        chosen = drill.choice("Drill into cost center", by_cc["cost_center"].tolist(), "tco_cc", clicked)
        show_table(by_cc[by_cc["cost_center"] == chosen] if chosen else by_cc, f"tco_by_cost_center_{f.as_of}")
        note_unapplied(pt)

        ptt = predicate(f, TCO, "t", dates="upto")
        trend = query("select cast(t.as_of_date as varchar) as as_of_date, "
                      + ", ".join(f"sum(t.{c}) as {c}" for c in comps)
                      + f" from {TCO} t where {ptt.sql} group by 1 order by 1", ptt.params)
        st.markdown("**TCO components across as-of dates**")
        st.altair_chart(charts.trend(trend.melt("as_of_date", var_name="category", value_name="amount"), "amount",
                                     "category", y_title="amount"), width="stretch")

        if chosen:
            cc_where = f"coalesce({cc}, '(none)') = ?"
            rows = query(f"select t.* from {TCO} t where {pt.sql} and {cc_where} order by t.tco_to_date desc",
                         [*pt.params, chosen])
            st.markdown(f"**Asset TCO in {chosen}** — {len(rows):,} assets")
            show_table(rows, f"tco_assets_{chosen}_{f.as_of}")
            if "asset_id" in rows.columns:
                drill.assets(f, f"a.asset_id in (select t.asset_id from {TCO} t where {pt.sql} and {cc_where})",
                             [*pt.params, chosen], name=f"tco_dim_assets_{chosen}_{f.as_of}",
                             title=f"Assets of {chosen}")

# -- cost allocation ------------------------------------------------------------------------------
st.subheader("Cost allocation")
CA = "marts.fct_cost_allocation"
if built(CA, "Cost allocation by cost center, period and category", "cost_center", "period", "amount"):
    pc = predicate(f, CA, "c")
    cat = pick(CA, "cost_category", "category") or "'(all)'"
    periods = query(f"select distinct cast(c.period as varchar) as period from {CA} c where {pc.sql} order by 1 desc",
                    pc.params)["period"].tolist()
    if not periods:
        st.caption("No allocations at this as-of date.")
    else:
        period = st.selectbox("Period", periods, key="ca_period")
        alloc = query(f"select c.* , {cat} as _category from {CA} c where {pc.sql} and cast(c.period as varchar) = ? "
                      "order by c.cost_center", [*pc.params, period])
        c1, c2 = st.columns(2)
        c1.metric(f"Allocated in {period}" + scope_note(pc.unapplied), money(alloc["amount"].sum()))
        c2.metric("Cost centers", f"{alloc['cost_center'].nunique():,}")
        stacked = (alloc.groupby(["cost_center", "_category"], dropna=False, as_index=False)["amount"].sum()
                   .rename(columns={"_category": "cost_category"}).fillna({"cost_center": "(none)"}))
        st.altair_chart(charts.stacked_bars(stacked, "cost_center", "amount", "cost_category", drill=False,
                                            value_title="amount"), width="stretch")
        show_table(alloc.drop(columns=["_category"]), f"cost_allocation_{period}_{f.as_of}")
        note_unapplied(pc)
