-- Invariant (issue 13): no quarter plans more replacements than policies.yaml
-- refresh_capacity_pct_per_quarter of the devices in scope allows, and none is planned before
-- its due quarter (or, when overdue, before the snapshot's quarter).
-- A test of several models is an asset check of the one it guards (no dagster-dbt indirect selection).
{{ config(meta={'dagster': {'ref': {'name': 'fct_refresh_plan'}}}) }}
with pol as (
    select * from {{ ref('int_policy') }}
),
scope as (
    select g.as_of_date, count(*) as devices
    from {{ ref('int_asset_governance') }} g
    join {{ ref('int_device_assets') }} d using (as_of_date, asset_id)
    where g.applies_to = 'device' and coalesce(g.lifecycle_state, '') not in ('retired', 'disposed')
    group by all
),
per_quarter as (
    select as_of_date, planned_quarter, count(*) as replacements
    from {{ ref('fct_refresh_plan') }}
    where action = 'replace'
    group by all
)
select p.as_of_date, p.planned_quarter, p.replacements, s.devices, 'over capacity' as problem
from per_quarter p
join scope s using (as_of_date)
cross join pol
where p.replacements > greatest(1, ceil(s.devices * pol.refresh_capacity_pct_per_quarter / 100))
union all
select as_of_date, planned_quarter, 1, null, 'planned before due: ' || asset_id
from {{ ref('fct_refresh_plan') }}
where planned_quarter < greatest(due_quarter, {{ format_date("as_of_date", "%Y") }} || 'Q' || quarter(as_of_date))
