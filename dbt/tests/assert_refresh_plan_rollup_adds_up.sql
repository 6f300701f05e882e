-- Invariant: per snapshot date, quarter and cost center the rollup equals the plan's rows.
-- A test of several models is an asset check of the one it guards (no dagster-dbt indirect selection).
{{ config(meta={'dagster': {'ref': {'name': 'fct_refresh_plan_rollup'}}}) }}
with plan as (
    select as_of_date, planned_quarter, cost_center,
        count(*) as assets_due, coalesce(sum(replacement_cost_estimate), 0) as cost
    from {{ ref('fct_refresh_plan') }}
    group by all
)
select coalesce(p.as_of_date, r.as_of_date) as as_of_date,
    coalesce(p.planned_quarter, r.planned_quarter) as planned_quarter,
    coalesce(p.cost_center, r.cost_center) as cost_center,
    p.assets_due as plan_assets, r.assets_due as rollup_assets,
    p.cost as plan_cost, r.replacement_cost_estimate as rollup_cost
from plan p
full join {{ ref('fct_refresh_plan_rollup') }} r
    on r.as_of_date = p.as_of_date and r.planned_quarter = p.planned_quarter
   and r.cost_center is not distinct from p.cost_center
where p.assets_due is distinct from r.assets_due or p.cost is distinct from r.replacement_cost_estimate
