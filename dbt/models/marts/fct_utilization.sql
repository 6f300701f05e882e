-- Utilisation per asset class × cost center per snapshot date (docs/marts.md "fct_utilization",
-- docs/decisions/utilization.md). Assets in service (not retired or disposed):
--   device / cloud resource  active = seen by a discovery source within that source's stale window
--   license entitlement      active = its product has use within the reclaim window
--   SaaS app                 active = a user was active in it within the reclaim window
-- Seats, each counted once: a product with entitlements reports them on its entitlement class
-- (owned = quantity in force, by the entitlement's cost center; assigned and active = the
-- consumption and active_consumption_90d of fct_license_position_detail, shared among the cost centers
-- owning it in proportion to their seats); a SaaS app nobody bought reports its users on the saas row
-- (owned 0). utilisation_pct: seats_active / seats_owned when the row carries seats, else
-- assets_active / assets_total, × 100.
with pol as (
    select * from {{ ref('int_policy') }}
),

gov as (
    select * from {{ snapshot_ref('int_asset_governance') }}
    where coalesce(lifecycle_state, '') not in ('retired', 'disposed')
),

-- Entitlements with the asset id int_assets gives them ('entitlement:' || entitlement_id).
ent as (
    select
        e.*,
        'AS-' || substr(md5('entitlement:' || e.entitlement_id), 1, 12) as asset_id
    from {{ snapshot_ref('int_license_entitlements') }} as e
),

ent_assets as (
    select
        e.as_of_date,
        e.asset_id,
        e.publisher_norm,
        e.product_norm,
        e.license_metric,
        e.is_active,
        e.quantity,
        e.purchase_date,
        e.entitlement_id,
        g.asset_class,
        g.cost_center
    from ent as e
    inner join {{ snapshot_ref('int_asset_governance') }} as g using (as_of_date, asset_id)
),

position as (
    -- per metric (issue 13: fct_license_position is one row per product, its metrics pooled)
    select
        as_of_date,
        publisher_norm,
        product_norm,
        license_metric,
        consumption,
        active_consumption_90d
    from {{ snapshot_ref('fct_license_position_detail') }}
),

-- Where a product's use is reported: use has no budget of its own, so it is shared among the
-- class × cost centers owning the product's entitlements in force, in proportion to the seats
-- each owns (2 decimals; the largest owner takes the rounding remainder so the parts add up
-- exactly). A product with nothing in force reports on its latest entitlement's class and cost
-- center.
owners as (
    select
        as_of_date,
        publisher_norm,
        product_norm,
        license_metric,
        asset_class,
        cost_center,
        sum(quantity) as owned
    from ent_assets
    where is_active
    group by all
),

latest_owner as (
    select
        as_of_date,
        publisher_norm,
        product_norm,
        license_metric,
        max_by(asset_class, (purchase_date, entitlement_id)) as asset_class,
        max_by(cost_center, (purchase_date, entitlement_id)) as cost_center,
        1 as owned
    from ent_assets
    group by all
),

homes as (
    select * from owners
    union all
    select l.* from latest_owner as l
    anti join owners using (as_of_date, publisher_norm, product_norm, license_metric)
),

shares as (
    select
        h.as_of_date,
        h.asset_class,
        h.cost_center,
        p.consumption,
        p.active_consumption_90d,
        cast(round(p.consumption * h.owned / sum(h.owned) over w, 2) as decimal(18, 2)) as assigned_part,
        cast(round(p.active_consumption_90d * h.owned / sum(h.owned) over w, 2) as decimal(18, 2)) as active_part,
        -- the window spelled out: Spark cannot extend a named window with an order
        row_number() over (
            partition by h.as_of_date, h.publisher_norm, h.product_norm, h.license_metric
            order by h.owned desc, h.cost_center asc, h.asset_class asc
        ) = 1 as takes_remainder,
        p.publisher_norm,
        p.product_norm,
        p.license_metric
    from homes as h
    inner join position as p using (as_of_date, publisher_norm, product_norm, license_metric)
    window w as (partition by h.as_of_date, h.publisher_norm, h.product_norm, h.license_metric)
),

product_seats as (
    select
        as_of_date,
        asset_class,
        cost_center,
        case
            when takes_remainder
                then consumption - ((sum(assigned_part) over w) - assigned_part)
            else assigned_part
        end as seats_assigned,
        case
            when takes_remainder
                then active_consumption_90d - ((sum(active_part) over w) - active_part)
            else active_part
        end as seats_active
    from shares
    window w as (partition by as_of_date, publisher_norm, product_norm, license_metric)
),

owned_seats as (
    select
        as_of_date,
        asset_class,
        cost_center,
        sum(quantity) as seats_owned
    from ent_assets
    where is_active
    group by all
),

licensed_products as (
    select distinct
        as_of_date,
        publisher_norm,
        product_norm
    from ent
),

-- SaaS apps with no entitlement for their product (publisher and product, as the license
-- position keys them): users seen with a seat, none owned.
unpaid_saas as (
    select
        u.as_of_date,
        g.asset_class,
        g.cost_center,
        count(*) filter (where coalesce(u.license_assigned, false)) as seats_assigned,
        count(*) filter (
            where coalesce(u.license_assigned, false)
            and (
                u.last_active_at is null
                or u.last_active_at >= u.as_of_date - {{ days_interval("cast(pol.reclaim_window_days as integer)") }}
            )
        ) as seats_active
    from {{ snapshot_ref('int_saas_usage') }} as u
    cross join pol
    inner join gov as g
        on
            u.as_of_date = g.as_of_date
            and g.asset_id = 'AS-' || substr(md5('saas:' || u.product_norm), 1, 12)
    left join licensed_products as lp
        on u.as_of_date = lp.as_of_date and u.publisher_norm = lp.publisher_norm and u.product_norm = lp.product_norm
    where lp.product_norm is null
    group by all
),

seats as (
    select
        as_of_date,
        asset_class,
        cost_center,
        sum(seats_owned) as seats_owned,
        sum(seats_assigned) as seats_assigned,
        sum(seats_active) as seats_active
    from (
        select
            as_of_date,
            asset_class,
            cost_center,
            seats_owned,
            0 as seats_assigned,
            0 as seats_active
        from owned_seats
        union all
        select
            as_of_date,
            asset_class,
            cost_center,
            0,
            seats_assigned,
            seats_active
        from product_seats
        union all
        select
            as_of_date,
            asset_class,
            cost_center,
            0,
            seats_assigned,
            seats_active
        from unpaid_saas
    )
    group by all
),

product_in_use as (
    select
        as_of_date,
        publisher_norm,
        product_norm,
        license_metric
    from position
    where active_consumption_90d > 0
),

asset_activity as (
    select
        g.as_of_date,
        g.asset_id,
        g.asset_class,
        g.class_path,
        g.cost_center,
        case
            when g.asset_kind in ('device', 'cloud_resource') then g.seen_in_window
            when g.asset_kind = 'entitlement' then piu.product_norm is not null
            when g.asset_kind = 'saas_app' then
                g.last_seen_at >= g.as_of_date - {{ days_interval("cast(pol.reclaim_window_days as integer)") }}
        end as is_active
    from gov as g
    cross join pol
    left join
        ent_assets as ea
        on g.asset_kind = 'entitlement' and g.as_of_date = ea.as_of_date and g.asset_id = ea.asset_id
    left join product_in_use as piu
        on
            ea.as_of_date = piu.as_of_date and ea.publisher_norm = piu.publisher_norm
            and ea.product_norm = piu.product_norm and ea.license_metric = piu.license_metric
),

asset_counts as (
    select
        as_of_date,
        asset_class,
        cost_center,
        count(*) as assets_total,
        count(*) filter (where coalesce(is_active, false)) as assets_active
    from asset_activity
    group by all
),

grain as (
    select
        as_of_date,
        asset_class,
        cost_center
    from asset_counts
    union
    select
        as_of_date,
        asset_class,
        cost_center
    from seats
),

combined as (
    select
        k.as_of_date,
        k.asset_class,
        k.cost_center,
        coalesce(a.assets_total, 0) as assets_total,
        coalesce(a.assets_active, 0) as assets_active,
        coalesce(s.seats_owned, 0) as seats_owned,
        coalesce(s.seats_assigned, 0) as seats_assigned,
        coalesce(s.seats_active, 0) as seats_active
    from grain as k
    left join asset_counts as a
        on
            k.as_of_date = a.as_of_date and a.asset_class is not distinct from k.asset_class
            and a.cost_center is not distinct from k.cost_center
    left join seats as s
        on
            k.as_of_date = s.as_of_date and s.asset_class is not distinct from k.asset_class
            and s.cost_center is not distinct from k.cost_center
)

select
    c.as_of_date,
    c.asset_class,
    cls.class_path,
    c.cost_center,
    c.assets_total,
    c.assets_active,
    c.assets_total - c.assets_active as assets_idle,
    cast(c.seats_owned as decimal(18, 2)) as seats_owned,
    cast(c.seats_assigned as decimal(18, 2)) as seats_assigned,
    cast(c.seats_active as decimal(18, 2)) as seats_active,
    case when c.seats_owned > 0 or c.seats_assigned > 0 then 'seats' else 'assets' end as utilisation_basis,
    cast(case
        when c.seats_owned > 0 or c.seats_assigned > 0
            then
                case when c.seats_owned > 0 then round(100.0 * c.seats_active / c.seats_owned, 2) end
        when c.assets_total > 0 then round(100.0 * c.assets_active / c.assets_total, 2)
    end as decimal(18, 2)) as utilisation_pct
from combined as c
left join {{ ref('stg_taxonomy__asset_classes') }} as cls on c.asset_class = cls.class_id
