-- Effective license position per product × metric × snapshot date (issue 13; docs/marts.md,
-- docs/decisions/license-position.md): the per-metric breakdown of fct_license_position. Each
-- metric's pooled entitlements (own purchases and bundle grants, within version rights), the
-- consumption they cover in the declared order (int_license_coverage: each item once), what is
-- left unused, and the money per metric. Money in the reporting currency.
with cap as (
    select * from {{ snapshot_ref('int_license_capacity') }}
),

cov as (
    select
        as_of_date,
        publisher_norm,
        product_norm,
        covered_metric as license_metric,
        sum(held_units) as allocated,
        count(*) as items_covered,
        count(*) filter (where covered_by_host) as vms_covered_by_host,
        sum(held_units) filter (where holder_reclaimable) as reclaimable
    from {{ snapshot_ref('int_license_coverage') }}
    where covered_metric is not null
    group by all
),

prod as (
    select
        as_of_date,
        publisher_norm,
        product_norm,
        publisher,
        product,
        true_up_metric,
        true_up_units,
        uncovered_units,
        shortfall_units
    from {{ snapshot_ref('int_license_product_position') }}
),

-- The true-up metric's unused units first go to consumption it cannot cover whole (a device
-- needing more cores than are left): they are allocated, not unused.
joined as (
    select
        c.*,
        pp.publisher,
        pp.product,
        pp.true_up_metric,
        pp.true_up_units,
        pp.shortfall_units,
        o.position as cover_order,
        v.items_covered,
        v.vms_covered_by_host,
        v.reclaimable,
        coalesce(
            v.allocated, 0) + case
            when c.license_metric = pp.true_up_metric
                then least(greatest(c.capacity - coalesce(v.allocated, 0), 0), pp.uncovered_units)
            else 0
        end as allocated
    from cap as c
    inner join prod as pp using (as_of_date, publisher_norm, product_norm)
    left join cov as v using (as_of_date, publisher_norm, product_norm, license_metric)
    left join {{ ref('stg_taxonomy__license_metric_order') }} as o on c.license_metric = o.license_metric
),

-- A bundle's seats are used through its components: of each component's allocated units, those
-- beyond its own entitlements are granted ones (own licenses are used first), shared among the
-- granting bundles by their granted units; a bundle's use is the most any component takes.
granted_used as (
    select
        j.as_of_date,
        j.publisher_norm,
        j.product_norm,
        j.license_metric,
        least(j.granted_by_bundles, greatest(j.allocated - (j.capacity - j.granted_by_bundles), 0)) as used_from_grants,
        j.granted_by_bundles
    from joined as j
    where j.granted_by_bundles > 0
),

bundle_use as (
    select
        g.as_of_date,
        g.bundle_publisher_norm as publisher_norm,
        g.bundle_product_norm as product_norm,
        g.license_metric,
        max(u.used_from_grants * g.units / u.granted_by_bundles) as used_by_components
    from (
        select
            as_of_date,
            publisher_norm,
            product_norm,
            license_metric,
            bundle_publisher_norm,
            bundle_product_norm,
            sum(quantity) as units
        from {{ snapshot_ref('int_license_grants') }}
        where is_active and granted_by is not null
        group by all
    ) as g
    inner join granted_used as u using (as_of_date, publisher_norm, product_norm, license_metric)
    group by all
),

final as (
    select
        j.* {{ star_exclude() }} (allocated),
        j.allocated + least(coalesce(b.used_by_components, 0), greatest(j.capacity - j.allocated, 0)) as allocated,
        least(coalesce(b.used_by_components, 0), greatest(j.capacity - j.allocated, 0)) as used_by_components
    from joined as j
    left join bundle_use as b using (as_of_date, publisher_norm, product_norm, license_metric)
)

select
    j.as_of_date,
    j.publisher,
    j.product,
    j.license_metric,
    cast(j.cover_order as integer) as cover_order,
    j.license_metric = j.true_up_metric as is_true_up_metric,
    cast(j.in_force as decimal(18, 2)) as entitlements_in_force,
    cast(j.granted_by_bundles as decimal(18, 2)) as granted_by_bundles,
    j.bundles,
    cast(j.expired as decimal(18, 2)) as entitlements_expired,
    cast(j.outside_version_rights as decimal(18, 2)) as entitlements_outside_version_rights,
    cast(j.capacity as decimal(18, 2)) as entitlements,
    cast(j.allocated as decimal(18, 2)) as allocated,
    cast(coalesce(j.items_covered, 0) as integer) as items_covered,
    cast(j.used_by_components as decimal(18, 2)) as used_by_components,
    cast(coalesce(j.vms_covered_by_host, 0) as integer) as vms_covered_by_host,
    cast(j.capacity - j.allocated as decimal(18, 2)) as unused,
    cast(coalesce(j.reclaimable, 0) as decimal(18, 2)) as reclaimable,
    -- Consumption reported on this metric (for utilisation): what it covers, plus, on the
    -- true-up metric, the shortfall nobody covers; active = less idle holders and, on the
    -- true-up metric, the shortfall that reclaiming idle consumption removes.
    cast(
        j.allocated + case when j.license_metric = j.true_up_metric then j.shortfall_units else 0 end
        as decimal(18, 2)
    ) as consumption,
    cast(
        j.allocated - coalesce(j.reclaimable, 0)
        + case when j.license_metric = j.true_up_metric then j.true_up_units else 0 end
        as decimal(18, 2)
    ) as active_consumption_90d,
    j.unit_cost,
    j.license_type,
    j.maintenance_pct,
    j.annual_unit_cost,
    -- Reclaiming saves only when nothing is left to buy after reharvesting (else it is all reused).
    cast(case
        when j.true_up_units > 0 then 0
        else round(coalesce(j.reclaimable, 0) * j.annual_unit_cost, 2)
    end as decimal(18, 2
    )) as recurring_savings_per_year,
    -- Unused units still paid for each year: the subscription price or the support fee.
    cast(round(greatest(j.capacity - j.allocated, 0) * j.annual_unit_cost, 2) as decimal(18, 2))
        as shelfware_cost_per_year,
    pol.reporting_currency as currency,
    j.publisher_norm,
    j.product_norm
from final as j
cross join {{ ref('int_policy') }} as pol
