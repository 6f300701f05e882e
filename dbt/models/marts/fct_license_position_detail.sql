-- Effective license position per product × metric × snapshot date (issue 13; docs/marts.md,
-- docs/decisions/license-position.md): the per-metric breakdown of fct_license_position. Each
-- metric's pooled entitlements (own purchases and bundle grants, within version rights), the
-- consumption they cover in the declared order (int_license_coverage: each item once), what is
-- left unused, and the money per metric. Money in the reporting currency.
with cap as (
    select * from {{ ref('int_license_capacity') }}
),
cov as (
    select
        as_of_date, publisher_norm, product_norm, covered_metric as license_metric,
        sum(held_units) as allocated,
        count(*) as items_covered,
        count(*) filter (where covered_by_host) as vms_covered_by_host,
        sum(held_units) filter (where holder_reclaimable) as reclaimable
    from {{ ref('int_license_coverage') }}
    where covered_metric is not null
    group by all
),
prod as (
    select as_of_date, publisher_norm, product_norm, publisher, product, true_up_metric, true_up_units, uncovered_units
    from {{ ref('int_license_product_position') }}
)
select
    c.as_of_date,
    pp.publisher,
    pp.product,
    c.license_metric,
    cast(o.position as integer) as cover_order,
    c.license_metric = pp.true_up_metric as is_true_up_metric,
    cast(c.in_force as decimal(18, 2)) as entitlements_in_force,
    cast(c.granted_by_bundles as decimal(18, 2)) as granted_by_bundles,
    c.bundles,
    cast(c.expired as decimal(18, 2)) as entitlements_expired,
    cast(c.outside_version_rights as decimal(18, 2)) as entitlements_outside_version_rights,
    cast(c.capacity as decimal(18, 2)) as entitlements,
    cast(coalesce(v.allocated, 0) as decimal(18, 2)) as allocated,
    cast(coalesce(v.items_covered, 0) as integer) as items_covered,
    cast(coalesce(v.vms_covered_by_host, 0) as integer) as vms_covered_by_host,
    cast(c.capacity - coalesce(v.allocated, 0) as decimal(18, 2)) as unused,
    cast(coalesce(v.reclaimable, 0) as decimal(18, 2)) as reclaimable,
    c.unit_cost,
    c.license_type,
    c.maintenance_pct,
    c.annual_unit_cost,
    -- Reclaiming saves only when nothing is left to buy after reharvesting (else it is all reused).
    cast(case when pp.true_up_units > 0 then 0
              else round(coalesce(v.reclaimable, 0) * c.annual_unit_cost, 2) end as decimal(18, 2)) as recurring_savings_per_year,
    -- Unused units still paid for each year; of the true-up metric, only what no uncovered
    -- consumption would take (a part-filled core remainder is netted against the shortfall).
    cast(round(greatest(c.capacity - coalesce(v.allocated, 0)
                        - case when c.license_metric = pp.true_up_metric then pp.uncovered_units else 0 end, 0)
               * c.annual_unit_cost, 2) as decimal(18, 2)) as shelfware_cost_per_year,
    pol.reporting_currency as currency,
    c.publisher_norm,
    c.product_norm
from cap c
cross join {{ ref('int_policy') }} pol
join prod pp using (as_of_date, publisher_norm, product_norm)
left join cov v using (as_of_date, publisher_norm, product_norm, license_metric)
left join {{ ref('stg_taxonomy__license_metric_order') }} o on o.license_metric = c.license_metric
