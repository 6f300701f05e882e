-- The measures that spread shared IT costs over the other cost centers (policies.yaml
-- `shared_cost_centers`; docs/decisions/cost-allocation-drivers.md), one row per driver and
-- receiving cost center: every cost center except the shared ones and the unallocated code.
--   device_count  devices in use (lifecycle in_use or in_repair)          at a snapshot date
--   user_count    distinct users (CMDB assignment, else last logged-on user) of those devices
--   seats         license seats in force of the user and subscription metrics
--   cloud_tags    cloud spend the cloud cost rules placed, per period, as known at a snapshot
-- Snapshot drivers have period NULL; cloud_tags has the period it measures. `weight` is the
-- integer the exact split uses (seats in 1/10000, cloud spend in cents; never negative).
with pol as (
    select * from {{ ref('int_policy') }}
),

devices as (
    select
        as_of_date,
        trim(cost_center) as cost_center,
        count(*) as devices,
        count(distinct coalesce(assigned_user, last_user)) as users
    from {{ snapshot_ref('int_asset_governance') }}
    where
        asset_kind = 'device'
        and lifecycle_state in ('in_use', 'in_repair')
        and nullif(trim(cost_center), '') is not null
    group by all
),

seats as (
    select
        as_of_date,
        trim(cost_center) as cost_center,
        sum(quantity) as seats
    from {{ snapshot_ref('int_license_entitlements') }}
    where
        is_active and license_metric in ('user', 'subscription')
        and nullif(trim(cost_center), '') is not null
    group by all
),

cloud as (
    select
        as_of_date,
        period,
        cost_center,
        round(sum(billed_cost_rc), 2) as spend
    from {{ snapshot_ref('int_cloud_costs') }}
    where allocation_method in ('tag_rule', 'attribute_rule')
    group by all
),

drivers as (
    select
        as_of_date,
        cast(null as string) as period,
        cost_center,
        'device_count' as driver,
        cast(devices as decimal(18, 4)) as driver_value,
        cast(devices as {{ type_hugeint() }}) as weight
    from devices
    union all
    select
        as_of_date,
        null,
        cost_center,
        'user_count',
        cast(users as decimal(18, 4)),
        cast(users as {{ type_hugeint() }})
    from devices
    union all
    select
        as_of_date,
        null,
        cost_center,
        'seats',
        cast(seats as decimal(18, 4)),
        cast(round(seats * 10000) as {{ type_hugeint() }})
    from seats
    union all
    select
        as_of_date,
        period,
        cost_center,
        'cloud_tags',
        cast(spend as decimal(18, 4)),
        greatest({{ to_cents('spend') }}, 0)
    from cloud
)

select d.*
from drivers as d
cross join pol
where
    d.weight > 0
    and d.cost_center <> pol.unallocated_cost_center
    and d.cost_center not in (select cost_center from {{ ref('stg_taxonomy__allocation_rules') }})
