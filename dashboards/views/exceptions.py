"""Reconciliation exceptions: what disagrees between discovery, the CMDB, procurement and the
fixed-asset register, by type and status, with the resolutions recorded so far."""
from __future__ import annotations

import streamlit as st

from dagster_project import formatting as fmt
from dashboards import charts, drill, tiles
from dashboards.data import columns, has, query
from dashboards.downloads import show_table
from dashboards.filters import current, note_unapplied, predicate
from dashboards.ui import built, header, no_match

f = current()
header("Reconciliation exceptions", f,
       "Status against the previous snapshot: **new** (first seen now), **open** (seen before too), "
       "**reopened** (back after being resolved), **resolved** (gone now).")
tiles.silent_feed_banner(f)

EX = "marts.fct_reconciliation_exceptions"
BASE = ("exception_id", "exception_type", "status", "asset_id", "detail", "first_detected_on", "last_detected_on")
p = predicate(f, EX, "e")
statuses = query(f"select distinct e.status from {EX} e where {p.sql} order by 1", p.params)["status"].dropna().tolist()
default = [s for s in statuses if s in ("new", "open", "reopened")] or statuses
chosen_status = st.multiselect("Status", statuses, default=default, key="ex_status")
where, params = p.sql, list(p.params)
if chosen_status:
    where += f" and e.status in ({', '.join('?' * len(chosen_status))})"
    params += chosen_status

counts = query(f"select e.exception_type, e.status, count(*) as exceptions from {EX} e where {where} group by all",
               params)
# The tiles are the governance KPIs (fct_governance_kpis), as on the Overview; "shown" is the list below.
if tiles.available():
    shown_tiles = tiles.tiles(tiles.kpi_series(f), f.as_of, ["open_exceptions", "silent_feed_exceptions",
                                                             "new_exceptions", "resolved_exceptions"])
    row = st.columns(len(shown_tiles) + 1)
    for col, t in zip(row, shown_tiles):
        tiles.show(t, col)
    row[-1].metric("Exceptions listed below", fmt.count(counts["exceptions"].sum()), border=True,
                  help="Under the status filter above, whatever counts as open")

st.subheader("By type and status")
etype = None
if counts.empty:
    no_match(f, "exceptions")
else:
    clicked = drill.chart(charts.stacked_bars(counts, "exception_type", "exceptions", "status",
                                              value_title="exceptions"), "ex_types")
    etype = drill.choice("Drill into type", sorted(counts["exception_type"].unique()), "ex_type", clicked)

pt = predicate(f, EX, "e", dates="upto")
trend = query(f"select cast(e.as_of_date as varchar) as as_of_date, e.exception_type, count(*) as exceptions "
              f"from {EX} e where {pt.sql} and e.counts_as_open group by all order by 1",
              pt.params)
st.subheader("Exceptions counting as open across as-of dates")
if trend.empty:
    st.caption("Nothing counts as open up to this as-of date.")
else:
    st.altair_chart(charts.trend(trend, "exceptions", "exception_type", y_title="exceptions"), width="stretch")

# Resolution columns (who decided what, when) come with the reconciliation workflow: any column
# beyond the base contract is shown right after it, so recorded decisions appear as soon as built.
extra = [c for c in columns(EX) if c not in BASE and c not in ("as_of_date", "problem_key")]
asset_cols = [c for c in ("asset_class", "cost_center", "accountable_owner", "hostname", "serial_number")
              if c in columns("marts.dim_asset") and c not in extra]
sel = ", ".join([f"e.{c}" for c in BASE] + [f"e.{c}" for c in extra] + [f"a.{c}" for c in asset_cols])
if etype:
    where += " and e.exception_type = ?"
    params.append(etype)
rows = query(f"select {sel} from {EX} e left join marts.dim_asset a on a.asset_id = e.asset_id "
             f"and a.as_of_date = e.as_of_date where {where} order by e.exception_type, e.exception_id", params)
st.subheader(f"Exceptions{' of type ' + etype if etype else ''}")
if extra:
    st.caption("Beyond the base columns (resolutions and history, where recorded): " + ", ".join(extra))
show_table(rows, f"exceptions_{etype or 'all'}_{f.as_of}")
note_unapplied(p)
if etype:
    drill.assets(f, f"a.asset_id in (select e.asset_id from {EX} e where {where})", params,
                 name=f"exception_assets_{etype}_{f.as_of}", title=f"Assets with a {etype} exception")

DR = "marts.fct_asset_drift"
st.subheader("Attribute drift between quarters")
if built(DR, "Asset drift between as-of dates"):
    pd_ = predicate(f, DR, "d")
    drift = query(f"select d.* from {DR} d where {pd_.sql}", pd_.params)
    field = next((c for c in ("attribute", "field", "changed_field") if c in drift.columns), None)
    if field and not drift.empty:
        by_field = drift.groupby(field, as_index=False).size().rename(columns={"size": "changes"})
        by_field["kind"] = "changes"
        st.altair_chart(charts.stacked_bars(by_field, field, "changes", "kind", drill=False), width="stretch")
    show_table(drift, f"asset_drift_{f.as_of}")
    note_unapplied(pd_)
elif has(EX):
    st.caption("Meanwhile, drift between the CMDB and discovery at one date is the `attribute_drift` type above.")
