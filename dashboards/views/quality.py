"""Data quality and stale records: rule pass rates as a trend (decay shows), records not seen or
updated within their policy window, and rows the loads rejected."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import charts, drill
from dashboards.data import has, pick, query, warehouse_path
from dashboards.downloads import show_table
from dashboards.filters import current, note_unapplied, predicate
from dashboards.tiles import scope_note
from dashboards.ui import built, header, no_match, num, pct
from dashboards.viewer import masker

WORST = 5  # series drawn on their own; the others are summed into one line


def worst_series(trend: pd.DataFrame, as_of: str) -> pd.DataFrame:
    """The WORST source.entity series by pass rate at the as-of date (a series with nothing checked
    at that date, e.g. a silent feed, counts as worst), the others summed into one line that says
    how many it holds: a readable chart however many sources a landing has."""
    t = trend.assign(pass_rate_pct=100.0 * (1 - trend["rows_failed"] / trend["rows_checked"].where(trend["rows_checked"] > 0)))
    now = t[t["as_of_date"] == as_of].set_index("source_entity")["pass_rate_pct"]
    rank = {s: now.get(s, float("nan")) for s in t["source_entity"].unique()}
    ordered = sorted(rank, key=lambda s: (not pd.isna(rank[s]), rank[s] if not pd.isna(rank[s]) else 0, s))
    worst = ordered[:WORST]
    shown = t[t["source_entity"].isin(worst)].assign(series=lambda d: d["source_entity"])
    rest = t[~t["source_entity"].isin(worst)]
    if not rest.empty:
        others = len(ordered) - len(worst)
        summed = rest.groupby("as_of_date", as_index=False)[["rows_checked", "rows_failed"]].sum()
        summed["pass_rate_pct"] = 100.0 * (1 - summed["rows_failed"] / summed["rows_checked"].where(summed["rows_checked"] > 0))
        summed["series"] = f"the other {others} (together)"
        shown = pd.concat([shown, summed], ignore_index=True)
    # A series with nothing checked at a date (silent feed) is drawn at 0 so its drop shows.
    return shown.assign(pass_rate_pct=shown["pass_rate_pct"].fillna(0.0))[["as_of_date", "series", "pass_rate_pct"]]


def report_html() -> bytes:
    """The offline data-quality report of the published warehouse, rendered when clicked."""
    import duckdb

    from dagster_project.quality.datadocs import quality_report_html

    con = duckdb.connect(str(warehouse_path()), read_only=True)
    try:  # personal data masked as on the pages (issue 17.6)
        return quality_report_html(con, masker=masker()).encode("utf-8")
    finally:
        con.close()


f = current()
header("Data quality & stale records", f)
left, right = st.columns([2, 5])
left.download_button("Data-quality report (HTML)", report_html, file_name=f"data-quality-{f.as_of}.html",
                     mime="text/html", icon=":material/description:", on_click="ignore", key="dq_report")
right.caption("Every expectation of every load, one file that opens without internet (also served by "
              "`itam docs`, with the dbt docs and the taxonomy report).")

# -- rule pass rates -----------------------------------------------------------------------------
DQ = "marts.fct_data_quality"
st.subheader("Rule pass rates")
if built(DQ, "Data quality per source, entity and rule", "rows_checked", "rows_failed"):
    pq = predicate(f, DQ, "q")
    rule = pick(DQ, "rule", "rule_id", "rule_name", "check_name") or "'(rule)'"
    src = "coalesce(q.source, '?') || '.' || coalesce(q.entity, '?')" if has(DQ, "source", "entity") else "'(all)'"
    now = query(f"select {src} as source_entity, {rule} as rule, sum(q.rows_checked) as rows_checked, "
                f"sum(q.rows_failed) as rows_failed, "
                f"100.0 * (1 - sum(q.rows_failed) / nullif(sum(q.rows_checked), 0)) as pass_rate_pct "
                f"from {DQ} q where {pq.sql} group by all order by pass_rate_pct, 1, 2", pq.params)
    checked, failed = now["rows_checked"].sum(), now["rows_failed"].sum()
    c1, c2, c3 = st.columns(3)
    note = scope_note(pq.unapplied)
    c1.metric("Rows checked" + note, num(checked))
    c2.metric("Rows failing" + note, num(failed))
    c3.metric("Pass rate" + note, pct(100.0 * (1 - failed / checked) if checked else None))
    pqt = predicate(f, DQ, "q", dates="upto")
    trend = query(f"select cast(q.as_of_date as varchar) as as_of_date, {src} as source_entity, "
                  f"sum(q.rows_checked) as rows_checked, sum(q.rows_failed) as rows_failed "
                  f"from {DQ} q where {pqt.sql} group by all order by 1", pqt.params)
    if trend.empty:
        no_match(f, "data-quality results")
    else:
        st.markdown(f"**Pass rate across as-of dates: the {WORST} worst sources, the rest as one line**")
        st.altair_chart(charts.trend(worst_series(trend, f.as_of), "pass_rate_pct", "series",
                                     y_title="pass rate (%)"), width="stretch")
    show_table(now, f"data_quality_{f.as_of}", caption="Worst first.")
    note_unapplied(pq)

# -- stale records -------------------------------------------------------------------------------
ST = "marts.fct_stale_records"
st.subheader("Stale records")
if built(ST, "Stale records per source", "is_stale"):
    ps = predicate(f, ST, "s")
    source = "coalesce(cast(s.source as varchar), '(unknown)')" if has(ST, "source") else "'(all)'"
    by_src = query(f"select {source} as source, count(*) as records, count(*) filter (where s.is_stale) as stale "
                   f"from {ST} s where {ps.sql} group by 1 order by stale desc", ps.params)
    by_src["has_stale"] = by_src["stale"] > 0
    c1, c2 = st.columns(2)
    c1.metric("Records", num(by_src["records"].sum()))
    c2.metric("Stale records", num(by_src["stale"].sum()))
    clicked = drill.chart(charts.flagged_bars(by_src, "source", "stale", "has_stale", value_title="stale records",
                                              labels=("stale", "fresh")), "st_sources")
    chosen = drill.choice("Drill into source", by_src["source"].tolist(), "st_source", clicked)
    where, params = f"{ps.sql} and s.is_stale", list(ps.params)
    if chosen:
        where += f" and {source} = ?"
        params.append(chosen)
    order = "s.age_days desc" if has(ST, "age_days") else "1"
    rows = query(f"select s.* from {ST} s where {where} order by {order}", params)
    st.markdown(f"**Stale records{' of ' + chosen if chosen else ''}** — {len(rows):,}")
    show_table(rows, f"stale_records_{chosen or 'all'}_{f.as_of}")
    note_unapplied(ps)
    if chosen and has(ST, "asset_id"):
        drill.assets(f, f"a.asset_id in (select s.asset_id from {ST} s where {where})", params,
                     name=f"stale_assets_{chosen}_{f.as_of}", title=f"Assets behind stale {chosen} records")

# -- load rejections (audit) ----------------------------------------------------------------------
st.subheader("Rows rejected at load")
if built("audit.loads", "Loads", "export_date", "rows_quarantined"):
    loads = query("select source, entity, count(*) as files, sum(rows_read) as rows_read, "
                  "sum(rows_loaded) as rows_loaded, sum(rows_quarantined) as rows_quarantined, "
                  "count(*) filter (where status = 'rejected') as files_rejected "
                  "from audit.loads where export_date = ? group by all order by rows_quarantined desc, 1, 2",
                  [f.as_of])
    st.caption(f"Files exported on {f.as_of}; the whole estate (loads are per file, not per asset).")
    show_table(loads, f"loads_{f.as_of}")
    if has("audit.quarantine", "reason"):
        q = query("select source, entity, file, row_number, column_name, value as quarantined_value, reason from audit.quarantine "
                  "where export_date = ? order by source, entity, file, row_number", [f.as_of])
        if not q.empty:
            with st.expander(f"Quarantined rows ({len(q):,})"):
                show_table(q, f"quarantine_{f.as_of}")
