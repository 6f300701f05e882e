-- Invariant (issue 13): what the assets cost a year (sum of fct_asset_tco.tco_annualised) is at
-- most the GL spend of the same scope (policies.yaml tco_gl_scope) over the 12 months to the
-- snapshot, plus tco_gl_tolerance_pct. Checked only for snapshots whose GL covers all 12 of those
-- months (a shorter GL export has no year to compare with). A warning, not a blocked build: a
-- partial GL export can break it without the warehouse being wrong
-- (docs/decisions/tco-gl-reconciliation.md).
-- A test of several models is an asset check of the one it guards (no dagster-dbt indirect selection).
{{ config(meta={'dagster': {'ref': {'name': 'fct_asset_tco'}}}) }}
{{ config(severity='warn') }}
with pol as (
    select * from {{ ref('int_policy') }}
),
gl as (
    select g.as_of_date, count(distinct g.period) as periods, sum(g.amount_rc) as gl_12m
    from {{ ref('int_gl_lines') }} g
    cross join pol
    where g.period between {{ format_date(window_start("g.as_of_date"), "%Y-%m") }} and {{ format_date("g.as_of_date", "%Y-%m") }}
      and {{ list_has("pol.tco_gl_scope", "g.account_category") }}
    group by all
),
tco as (
    select as_of_date, sum(tco_annualised) as tco_annualised
    from {{ ref('fct_asset_tco') }}
    group by all
)
select t.as_of_date, t.tco_annualised, g.gl_12m, pol.tco_gl_tolerance_pct
from tco t
join gl g using (as_of_date)
cross join pol
where g.periods = 12
  and t.tco_annualised > g.gl_12m * (1 + pol.tco_gl_tolerance_pct / 100)
