"""KPI tiles: every number on a tile is a sum of `fct_governance_kpis` rows under the page's
filters (the mart defines each KPI once, at the filters' grain; nothing is computed here).

A KPI's `breakdown` names the dimensions it has. Filters on the other dimensions do not apply to
it: its value is then the estate's (or its cost center × class) and the tile says so, instead of
a filtered-looking number that is not filtered. A percentage is sum(numerator) / sum(denominator)
of the rows, never an average of percentages."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dagster_project import formatting as fmt
from dashboards.data import has, query
from dashboards.filters import Filters, predicate

KPIS = "marts.fct_governance_kpis"
STALE = "marts.fct_stale_records"


def available() -> bool:
    return has(KPIS, "breakdown", "numerator", "denominator")


def _applicable(f: Filters, breakdown: str) -> tuple[Filters, list[str]]:
    """The filters a KPI with this breakdown honours, and the labels of those it cannot."""
    dims = {d for d in breakdown.split(",") if d}
    keep, dropped = {}, []
    for dim, values in f.active():
        ok = dim.column in dims or (dim.name == "departments" and "cost_center" in dims)
        if ok:
            keep[dim.name] = values
        else:
            dropped.append(dim.label)
    return Filters(f.as_of, **keep), dropped


def kpi_series(f: Filters) -> pd.DataFrame:
    """One row per KPI and as-of date up to the chosen one, under the filters: kpi, as_of_date,
    label, unit, currency, better, is_headline, sort_order, numerator, denominator, value,
    unapplied (labels of active filters the KPI cannot honour)."""
    meta = query(f"select distinct kpi, label, unit, currency, better, breakdown, is_headline, sort_order from {KPIS}")
    dates = query(f"select distinct cast(as_of_date as varchar) as as_of_date from {KPIS} where as_of_date <= ?",
                  [f.as_of])
    frames = []
    for breakdown in sorted(meta["breakdown"].fillna("").unique()):
        sub, dropped = _applicable(f, breakdown)
        p = predicate(sub, KPIS, "g", dates="upto")
        sums = query(f"select g.kpi, cast(g.as_of_date as varchar) as as_of_date, sum(g.numerator) as numerator, "
                     f"sum(g.denominator) as denominator from {KPIS} g "
                     f"where coalesce(g.breakdown, '') = ? and {p.sql} group by all", [breakdown, *p.params])
        kpis = meta[meta["breakdown"].fillna("") == breakdown]
        grid = kpis.merge(dates, how="cross").merge(sums, on=["kpi", "as_of_date"], how="left")
        grid["unapplied"] = [list(dropped)] * len(grid)
        frames.append(grid)
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=[*meta.columns, "as_of_date", "numerator", "denominator", "unapplied"])
    df["numerator"] = pd.to_numeric(df["numerator"], errors="coerce").fillna(0.0)
    df["denominator"] = pd.to_numeric(df["denominator"], errors="coerce")
    pct = df["unit"] == "pct"
    df["value"] = df["numerator"].astype(float)
    df.loc[pct, "value"] = 100.0 * df.loc[pct, "numerator"] / df.loc[pct, "denominator"].where(
        df.loc[pct, "denominator"] != 0)
    return df.sort_values(["sort_order", "as_of_date"]).reset_index(drop=True)


@dataclass(frozen=True)
class Tile:
    kpi: str
    label: str
    unit: str
    currency: str | None
    better: str
    value: float | None
    prior: float | None
    prior_as_of: str | None
    series: list
    unapplied: list
    breakdown: str = ""

    @property
    def text(self) -> str:
        return fmt.value(self.value, self.unit, self.currency)

    @property
    def change(self) -> float | None:
        if fmt.is_missing(self.value) or fmt.is_missing(self.prior):
            return None
        return float(self.value) - float(self.prior)


def tiles(series: pd.DataFrame, as_of: str, kpis: list[str] | None = None) -> list[Tile]:
    """The tiles at `as_of` (in sort order, or in the order of `kpis`), with the prior as-of value."""
    dates = sorted(series["as_of_date"].unique())
    prior = max((d for d in dates if d < as_of), default=None)
    order = kpis or list(dict.fromkeys(series["kpi"]))
    out = []
    for k in order:
        rows = series[series["kpi"] == k].sort_values("as_of_date")
        if rows.empty:
            continue
        now = rows[rows["as_of_date"] == as_of]
        before = rows[rows["as_of_date"] == prior]
        r = rows.iloc[-1]
        out.append(Tile(k, r["label"], r["unit"], None if fmt.is_missing(r["currency"]) else r["currency"],
                        r["better"], None if now.empty else now["value"].iloc[0],
                        None if before.empty else before["value"].iloc[0], prior,
                        rows["value"].tolist(), list(r["unapplied"]), r["breakdown"] or ""))
    return out


def show(tile: Tile, container=None, *, help: str | None = None) -> None:
    """One st.metric: value in its unit (money abbreviated with the currency symbol), change since
    the previous as-of date (pp for percentages), coloured by which direction is good, and, when
    a filter does not apply to the KPI, a line on the tile that says so."""
    c = container or st
    change = tile.change
    delta = None if change is None else fmt.change(change, tile.unit, tile.currency)
    flat = change is None or round(change, 2) == 0
    label = tile.label + (scope_note(tile.unapplied, whole=not tile.breakdown) if tile.unapplied else "")
    scope = (f"Not broken down by {', '.join(x.lower() for x in tile.unapplied)}: those filters do not apply "
             "to this tile." if tile.unapplied else None)
    since = f"Change since {tile.prior_as_of}." if tile.prior_as_of else "First snapshot: no change yet."
    series = [0.0 if fmt.is_missing(v) else float(v) for v in tile.series]
    c.metric(label, tile.text, delta,
             delta_color="off" if flat or tile.better == "neutral" else "inverse" if tile.better == "lower" else "normal",
             delta_arrow="off" if flat else "auto",
             help=" ".join(x for x in (help, scope, since) if x),
             chart_data=series if len(series) > 1 else None, chart_type="line", border=True)


def scope_note(unapplied: list[str], *, whole: bool = False) -> str:
    """What a tile adds to its label when filters do not apply to it: ` · whole estate` (it has no
    filterable dimension at all) or ` · not by owner` (some filters apply, these do not)."""
    if not unapplied:
        return ""
    return " · whole estate" if whole else f" · not by {', '.join(x.lower() for x in unapplied)}"


def silent_feeds(f: Filters) -> pd.DataFrame:
    """Feeds silent at the as-of date (fct_stale_records feed rows past their window) with the
    open exceptions (fct_governance_kpis silent_feed_exceptions, under the filters) and stale
    records each explains: feed, last_seen, exceptions, stale_records."""
    if not has(STALE, "record_kind", "silent_feed", "is_stale") or not available():
        return pd.DataFrame(columns=["feed", "last_seen", "exceptions", "stale_records"])
    feeds = query(f"select s.record_key as feed, cast(max(cast(s.last_seen_or_updated_at as date)) as varchar) as last_seen "
                  f"from {STALE} s where s.as_of_date = ? and s.record_kind = 'feed' and s.is_stale group by 1 "
                  "order by 1", [f.as_of])
    if feeds.empty:
        return feeds.assign(exceptions=0, stale_records=0)
    sub, _ = _applicable(f, "cost_center,asset_class,accountable_owner")
    p = predicate(sub, KPIS, "g")
    exc = query(f"select g.silent_feed, sum(g.numerator) as n from {KPIS} g "
                f"where g.kpi = 'silent_feed_exceptions' and {p.sql} group by 1", p.params)
    ps = predicate(f, STALE, "s")
    recs = query(f"select s.silent_feed, count(*) as n from {STALE} s where {ps.sql} and s.silent_feed is not null "
                 "group by 1", ps.params)

    def explained(df: pd.DataFrame, feed: str) -> int:
        # silent_feed may list several feeds ("sccm,intune"): the record needed all of them
        if df.empty:
            return 0
        hits = df[df["silent_feed"].map(lambda v: feed in str(v).split(",")).astype(bool)]
        return int(pd.to_numeric(hits["n"]).sum())

    feeds["exceptions"] = [explained(exc, x) for x in feeds["feed"]]
    feeds["stale_records"] = [explained(recs, x) for x in feeds["feed"]]
    return feeds


def silent_feed_banner(f: Filters) -> None:
    """Overview and Exceptions: name each silent feed and how many findings it explains."""
    for r in silent_feeds(f).itertuples():
        st.warning(f"**Feed `{r.feed}` is silent** (nothing since {r.last_seen}). It explains "
                   f"{fmt.count(r.exceptions)} open exceptions and {fmt.count(r.stale_records)} stale records: "
                   "they are one finding of this feed, counted apart and left out of the exception trend.",
                   icon=":material/sensors_off:")
