-- Invariants of fct_utilization: one row per class × cost center per snapshot date, and its
-- assets add up to dim_asset's assets in service (not retired or disposed) per date and class.
-- A test of several models is an asset check of the one it guards (no dagster-dbt indirect selection).
{{ config(meta={'dagster': {'ref': {'name': 'fct_utilization'}}}) }}
with dup as (
    select as_of_date, asset_class, cost_center, count(*) as n
    from {{ ref('fct_utilization') }}
    group by all
    having count(*) > 1
),
util as (
    select as_of_date, asset_class, sum(assets_total) as n
    from {{ ref('fct_utilization') }}
    group by all
),
dim as (
    select as_of_date, asset_class, count(*) as n
    from {{ ref('dim_asset') }}
    where coalesce(lifecycle_state, '') not in ('retired', 'disposed')
    group by all
)
select as_of_date, asset_class, 'duplicate row' as problem, n from dup
union all
select coalesce(u.as_of_date, d.as_of_date), coalesce(u.asset_class, d.asset_class),
    'assets_total ' || coalesce(u.n, 0) || ' vs dim_asset ' || coalesce(d.n, 0), coalesce(u.n, 0)
from util u
full join dim d on d.as_of_date = u.as_of_date and d.asset_class is not distinct from u.asset_class
where coalesce(u.n, 0) <> coalesce(d.n, 0)
