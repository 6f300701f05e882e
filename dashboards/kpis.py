"""The overview's KPIs, computed from the marts for every as-of date up to the chosen one, under
the global filters. One query per mart (all its KPIs at once); a mart not built yet simply adds
no KPI. `fct_governance_kpis`, when published, is shown beside them as the meeting's record."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboards.data import has, pick, query
from dashboards.filters import Filters, predicate


@dataclass(frozen=True)
class Kpi:
    label: str
    expr: str                 # aggregate over alias t
    digits: int = 0
    lower_is_better: bool = False
    unit: str = ""            # "" | "%"
    help: str = ""
    needs: tuple[str, ...] = ()


KPIS: dict[str, tuple[Kpi, ...]] = {
    "marts.dim_asset": (
        Kpi("Assets", "count(*)", help="Assets after matching across sources (dim_asset)"),
        Kpi("Assets in use", "count(*) filter (where t.lifecycle_state = 'in_use')"),
        Kpi("Unowned assets", "count(*) filter (where t.accountable_owner is null)", lower_is_better=True,
            help="No ownership rule matched (taxonomy/ownership.yaml)"),
        Kpi("Unclassified assets", "count(*) filter (where t.asset_class is null)", lower_is_better=True,
            help="No classification rule matched (taxonomy/asset_classes.yaml)"),
    ),
    "marts.fct_reconciliation_exceptions": (
        Kpi("Open exceptions", "count(*) filter (where {open})", lower_is_better=True,
            help="Reconciliation exceptions still open: new, open or reopened, and not accepted as a risk "
                 "or a false positive when resolutions are recorded"),
        Kpi("New exceptions", "count(*) filter (where t.status = 'new')", lower_is_better=True),
    ),
    "marts.fct_license_position": (
        Kpi("Under-licensed products", "count(*) filter (where t.position < 0)", lower_is_better=True,
            help="Products whose consumption exceeds their pooled entitlements"),
        Kpi("True-up exposure, one-time", "coalesce(sum(t.true_up_exposure_one_time), 0)", lower_is_better=True,
            help="Perpetual licenses to buy after reharvesting reclaimable ones × unit price"),
        Kpi("True-up exposure per year", "coalesce(sum(t.true_up_exposure_per_year), 0)", lower_is_better=True,
            help="Subscriptions to add after reharvesting reclaimable ones × annual price"),
        Kpi("Recurring savings per year", "coalesce(sum(t.recurring_savings_per_year), 0)",
            help="Idle licenses that can be dropped (subscription price or perpetual support fee); "
                 "0 on products with anything left to buy"),
    ),
    "marts.fct_asset_tco": (
        Kpi("TCO to date", "coalesce(sum(t.tco_to_date), 0)", needs=("tco_to_date",)),
        Kpi("Net book value", "coalesce(sum(t.net_book_value), 0)", needs=("net_book_value",)),
    ),
    "marts.fct_refresh_plan": (
        Kpi("Refresh budget", "coalesce(sum(t.replacement_cost_estimate), 0)", lower_is_better=True,
            needs=("replacement_cost_estimate",), help="Replacement cost of assets due within the horizon"),
        Kpi("Assets due for refresh", "count(distinct t.asset_id)", lower_is_better=True, needs=("asset_id",)),
    ),
    "marts.fct_utilization": (
        Kpi("Device utilisation", "100.0 * sum(t.assets_active) / nullif(sum(t.assets_total), 0)", digits=1,
            unit="%", needs=("assets_active", "assets_total"), help="Active assets ÷ all assets (policy window)"),
    ),
    "marts.fct_stale_records": (
        Kpi("Stale records", "count(*) filter (where t.is_stale)", lower_is_better=True, needs=("is_stale",)),
    ),
    "marts.fct_data_quality": (
        Kpi("Data quality pass rate", "100.0 * (1 - sum(t.rows_failed) / nullif(sum(t.rows_checked), 0))", digits=1,
            unit="%", needs=("rows_failed", "rows_checked"), help="Rows passing all rules ÷ rows checked"),
    ),
    "marts.fct_saas_overlap": (
        Kpi("Overlapping SaaS apps", "count(*) filter (where t.overlap_flag)", lower_is_better=True,
            needs=("overlap_flag",)),
        Kpi("SaaS annual cost", "coalesce(sum(t.annual_cost), 0)", needs=("annual_cost",)),
    ),
}


def open_exception(alias: str) -> str:
    """SQL condition: the exception counts as open. The reconciliation workflow's counts_as_open
    (accepted risks and false positives do not count) when published, else by status."""
    if has("marts.fct_reconciliation_exceptions", "counts_as_open"):
        return f"{alias}.counts_as_open"
    return f"{alias}.status in ('new', 'open', 'reopened')"


def _text(value, k: Kpi) -> str:
    if value is None or pd.isna(value):
        return "—"
    return f"{float(value):,.{k.digits}f}" + (f" {k.unit}" if k.unit else "")


def kpi_table(f: Filters) -> pd.DataFrame:
    """Long table: as_of_date, kpi, value, text, digits, lower_is_better, help, unapplied."""
    frames = []
    for table, kpis in KPIS.items():
        kpis = tuple(k for k in kpis if has(table, "as_of_date", *k.needs))
        if not kpis:
            continue
        p = predicate(f, table, "t", dates="upto")
        exprs = ", ".join(f"{k.expr.format(open=open_exception('t'))} as k{i}" for i, k in enumerate(kpis))
        wide = query(f"select cast(t.as_of_date as varchar) as as_of_date, {exprs} from {table} t "
                     f"where {p.sql} group by 1 order by 1", p.params)
        # Every snapshot the mart has, even when the filters leave none of its rows: counts and
        # sums are then 0 (ratios stay empty), not missing.
        dates = query(f"select distinct cast(as_of_date as varchar) as as_of_date from {table} "
                      "where as_of_date <= ? order by 1", [f.as_of])
        wide = dates.merge(wide, on="as_of_date", how="left")
        for i, k in enumerate(kpis):
            if not k.unit:
                wide[f"k{i}"] = pd.to_numeric(wide[f"k{i}"], errors="coerce").fillna(0)
        note = (f"{', '.join(k.label for k in kpis)}: not broken down by "
                f"{', '.join(x.lower() for x in p.unapplied)}.") if p.unapplied else ""
        for i, k in enumerate(kpis):
            frames.append(pd.DataFrame({
                "as_of_date": wide["as_of_date"], "kpi": k.label,
                "value": pd.to_numeric(wide[f"k{i}"], errors="coerce").astype(float),
                "text": [_text(v, k) for v in wide[f"k{i}"]], "digits": k.digits,
                "lower_is_better": k.lower_is_better, "help": k.help or None, "unapplied": note}))
    return pd.concat(frames, ignore_index=True)


def published_kpis(f: Filters) -> pd.DataFrame | None:
    """fct_governance_kpis at the as-of date with the change beside it, or None when not built."""
    table = "marts.fct_governance_kpis"
    if not has(table, "as_of_date"):
        return None
    p = predicate(f, table, "g")
    df = query(f"select g.* from {table} g where {p.sql}", p.params)
    value = pick(table, "value", "kpi_value", "current_value")
    prior = pick(table, "prior_value", "previous_value", "prior_quarter_value", "value_prior_quarter")
    if value and prior and value in df and prior in df and "change" not in df:
        df["change"] = pd.to_numeric(df[value], errors="coerce") - pd.to_numeric(df[prior], errors="coerce")
    return df
