-- Effective license position per product × snapshot date, in units (issue 13;
-- docs/decisions/license-position.md). The product's true-up metric t is the metric of its latest
-- own purchase in force (else its latest purchase; else its latest bundle grant): what it would
-- buy more of, and the unit of every unit column here. From int_license_coverage:
--   consumption        all items in units of t (distinct users, devices, or core_units)
--   uncovered_units    items no pooled entitlement covers, in units of t
--   unused_t           entitlements of t left unused
--   shortfall_units    max(0, uncovered - unused_t): what is missing as things are
--   true_up_units      the same over items in use only: the shortfall after reharvesting every
--                      reclaimable license (coverage spends licenses on active items first)
with cov as (
    select * from {{ snapshot_ref('int_license_coverage') }}
),

cap as (
    select * from {{ snapshot_ref('int_license_capacity') }}
),

names as (
    select
        as_of_date,
        publisher_norm,
        product_norm,
        max_by(publisher_name, (granted_by is null, purchase_date)) as publisher,
        max_by(product_name, (granted_by is null, purchase_date)) as product
    from {{ snapshot_ref('int_license_grants') }}
    group by all
),

tmetric as (
    select
        as_of_date,
        publisher_norm,
        product_norm,
        -- latest own purchase in force, else latest own purchase, else latest grant in force
        max_by(license_metric, (
            coalesce(latest_own_purchase_in_force, date '1900-01-01'),
            coalesce(latest_own_purchase, date '1900-01-01'),
            coalesce(latest_purchase_in_force, date '1900-01-01'), license_metric
        )) as true_up_metric,
        {{ string_agg("license_metric", "', '", "license_metric") }} as metrics_pooled
    from cap
    group by all
),

-- One unit of t per item: a user once (its first item), a device once, a device's core_units.
item_units as (
    select
        c.*,
        t.true_up_metric,
        {{ license_units('t.true_up_metric',
            'row_number() over (partition by c.as_of_date, c.publisher_norm, c.product_norm, c.user_key '
            'order by c.is_reclaimable, c.consumer_key) = 1', 'c.core_units') }} as t_units_all,
        -- the same counted over items in use only (a user in use once, by its first active item)
        case when c.is_reclaimable then 0 else {{ license_units('t.true_up_metric',
            'row_number() over (partition by c.as_of_date, c.publisher_norm, c.product_norm, c.user_key, c.is_reclaimable '
            'order by c.consumer_key) = 1', 'c.core_units') }} end as t_units_active
    from cov as c
    inner join tmetric as t using (as_of_date, publisher_norm, product_norm)
),

-- Uncovered users are counted among uncovered items only (a user half covered needs one more).
uncovered as (
    select
        as_of_date,
        publisher_norm,
        product_norm,
        sum({{ license_units('true_up_metric', 'rn_all = 1', 'core_units') }}) as uncovered_all,
        sum(case when is_reclaimable then 0 else {{ license_units('true_up_metric', 'rn_act = 1', 'core_units') }} end)
            as uncovered_active
    from (
        select
            *,
            row_number() over (
                partition by as_of_date, publisher_norm, product_norm, user_key
                order by is_reclaimable, consumer_key
            ) as rn_all,
            row_number() over (
                partition by as_of_date, publisher_norm, product_norm, user_key, is_reclaimable
                order by consumer_key
            ) as rn_act
        from item_units
        where covered_metric is null
    )
    group by all
),

totals as (
    select
        as_of_date,
        publisher_norm,
        product_norm,
        sum(t_units_all) as consumption,
        sum(t_units_active) as active_consumption,
        count(*) filter (where cores_defaulted and consumer_type = 'device' and not covered_by_host)
            as consumers_with_default_cores,
        count(*) filter (where covered_by_host) as vms_covered_by_host,
        count(*) filter (where is_vm and not covered_by_host) as vms_counted,
        {{ string_agg("basis", "','", "basis", distinct=true) }} as bases
    from item_units
    group by all
)

select
    n.as_of_date,
    n.publisher_norm,
    n.product_norm,
    n.publisher,
    n.product,
    t.true_up_metric,
    t.metrics_pooled,
    c.in_force,
    c.expired,
    c.outside_version_rights,
    c.rights_seen,
    c.capacity,
    c.unit_cost,
    c.license_type,
    c.annual_unit_cost,
    coalesce(tt.consumption, 0) as consumption,
    coalesce(tt.active_consumption, 0) as active_consumption,
    coalesce(u.uncovered_all, 0) as uncovered_units,
    c.capacity - coalesce(a.allocated, 0) as unused_t,
    greatest(coalesce(u.uncovered_all, 0) - (c.capacity - coalesce(a.allocated, 0)), 0) as shortfall_units,
    greatest(coalesce(u.uncovered_active, 0) - (c.capacity - coalesce(a.allocated, 0)), 0) as true_up_units,
    coalesce(tt.consumers_with_default_cores, 0) as consumers_with_default_cores,
    coalesce(tt.vms_covered_by_host, 0) as vms_covered_by_host,
    coalesce(tt.vms_counted, 0) as vms_counted,
    tt.bases
from names as n
inner join tmetric as t using (as_of_date, publisher_norm, product_norm)
inner join cap as c
    on
        t.as_of_date = c.as_of_date and t.publisher_norm = c.publisher_norm
        and t.product_norm = c.product_norm and t.true_up_metric = c.license_metric
left join (
    select
        as_of_date,
        publisher_norm,
        product_norm,
        covered_metric,
        sum(held_units) as allocated
    from cov
    where covered_metric is not null
    group by all
) as a
    on
        t.as_of_date = a.as_of_date and t.publisher_norm = a.publisher_norm
        and t.product_norm = a.product_norm and t.true_up_metric = a.covered_metric
left join totals as tt using (as_of_date, publisher_norm, product_norm)
left join uncovered as u using (as_of_date, publisher_norm, product_norm)
