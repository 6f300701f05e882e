-- Effective license position, item by item (issue 13; docs/decisions/license-position.md): every
-- consumption item of int_license_consumers is covered at most once, by the entitlements of its
-- product pooled per metric, in the order of taxonomy/licensing.yaml metric_order (default:
-- subscription, user, device, core). One step per metric, each over the items still uncovered:
--   subscription / user  covers whole users (every device and seat of the user); users with
--                        the most items first, so a user license saves the most device licenses
--   device               covers single devices (not SaaS seats)
--   core                 covers devices whose core_units fit in what is left
-- Within a step, items in use come before reclaimable ones: a license is never spent on an idle
-- install while an active one goes uncovered, so what stays uncovered among active items is the
-- shortfall after reharvesting every reclaimable license (reclaim first, buy the rest).
-- A VM covered by its licensed host is covered by the core metric with 0 units before the steps.
-- Capacity per metric: grants in force (own and bundle components) minus those whose version
-- rights cannot cover any installed release (outside_version_rights, see int_license_capacity).
with items as (
    select
        c.*,
        case when c.covered_by_host then 'core' end as covered_metric
    from {{ snapshot_ref('int_license_items') }} as c
),

cap as (
    select
        as_of_date,
        publisher_norm,
        product_norm,
        license_metric,
        capacity
    from {{ snapshot_ref('int_license_capacity') }}
),

metric_order as (
    select
        license_metric,
        position
    from {{ ref('stg_taxonomy__license_metric_order') }}
),

step0 as (
    select * from items
),
{% for k in range(1, 5) %}
-- Step {{ k }}: the metric at position {{ k }} of the declared order.
    ranked{{ k }} as (
        select
            s.*,
            m.license_metric as step_metric,
            coalesce(c.capacity, 0) as step_capacity,
            s.covered_metric is null
            and (m.license_metric in ('user', 'subscription') or s.consumer_type = 'device') as open_item
        from step{{ k - 1 }} as s
        cross join (
            select license_metric from metric_order
            where position = {{ k }}
        ) as m
        left join cap as c
            on
                s.as_of_date = c.as_of_date and s.publisher_norm = c.publisher_norm
                and s.product_norm = c.product_norm and m.license_metric = c.license_metric
    ),

    users{{ k }} as (
        select
            *,
            -- per user among the open items: idle only when every open item of the user is idle
            min(case when is_reclaimable then 1 else 0 end) over w_user as user_idle,
            count(*) over w_user as user_items
        from ranked{{ k }}
        window w_user as (partition by as_of_date, publisher_norm, product_norm, open_item, user_key)
    ),

    order{{ k }} as (
        select
            *,
            dense_rank() over (
                partition by as_of_date, publisher_norm, product_norm, open_item
                order by user_idle asc, user_items desc, user_key asc
            ) as user_rank,
            row_number() over (
                partition by as_of_date, publisher_norm, product_norm, open_item
                order by is_reclaimable asc, core_units desc, consumer_key asc
            ) as device_rank,
            sum(core_units) over (
                partition by as_of_date, publisher_norm, product_norm, open_item
                order by is_reclaimable, core_units, consumer_key
                rows between unbounded preceding and current row
            ) as cumulative_cores
        from users{{ k }}
    ),

    step{{ k }} as (
        select
            * {{ star_exclude() }} (
                step_metric, step_capacity, open_item, user_idle, user_items, user_rank, device_rank,
                cumulative_cores, covered_metric
            ),
            case
                when covered_metric is not null then covered_metric
                when not open_item then null
                when step_metric in ('user', 'subscription') and user_rank <= step_capacity then step_metric
                when step_metric = 'device' and device_rank <= step_capacity then step_metric
                when step_metric = 'core' and cumulative_cores <= step_capacity then step_metric
            end as covered_metric
        from order{{ k }}
    ),
{% endfor %}
final as (
    select * from step4
)

select
    f.*,
    -- Units of the covering metric this item holds: a user's license is held once per user (by
    -- the first of its items in key order), a device's one, a core license's core_units.
    case when f.covered_metric is null then 0 else {{ license_units('f.covered_metric',
        'row_number() over (partition by f.as_of_date, f.publisher_norm, f.product_norm, f.covered_metric, f.user_key '
        'order by f.consumer_key) = 1', 'f.core_units') }} end as held_units,
    -- Reclaimable license: a user's when every item it covers is idle, else the item's own idleness.
    case
        when f.covered_metric in ('user', 'subscription')
            then bool_and(f.is_reclaimable) over (
                partition by f.as_of_date, f.publisher_norm, f.product_norm, f.covered_metric, f.user_key
            )
        else f.is_reclaimable
    end as holder_reclaimable
from final as f
