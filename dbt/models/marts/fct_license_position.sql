-- Effective license position per product × snapshot date (issue 13; docs/marts.md,
-- docs/decisions/license-position.md). All of a product's entitlements pooled across metrics
-- (own purchases and bundle grants, within version rights) cover its consumption once each, in
-- the declared metric order (int_license_coverage); unit columns are in the product's true-up
-- metric (license_metric); the per-metric breakdown is fct_license_position_detail and the idle
-- consumers are fct_license_reclamation. Money in the reporting currency, separated by meaning:
--   true_up_exposure_one_time / _per_year  what must be bought after reharvesting every
--       reclaimable license (true_up_units x unit_cost), perpetual vs subscription
--   recurring_savings_per_year  idle licenses that can be dropped: subscription price, or the
--       annual support fee of a perpetual license; 0 whenever anything is left to buy
--   reharvest_value  perpetual licenses reusable instead of bought (one-time), never a saving
--   shelfware_cost_per_year  entitlements paid for but unassigned, per year
with p as (
    select * from {{ snapshot_ref('int_license_product_position') }}
),

detail as (
    select
        as_of_date,
        publisher_norm,
        product_norm,
        sum(recurring_savings_per_year) as recurring_savings_per_year,
        sum(shelfware_cost_per_year) as shelfware_cost_per_year,
        -- the true-up metric's row: unused units, and a bundle's seats used through its components
        sum(unused) filter (where is_true_up_metric) as unused_t,
        sum(used_by_components) filter (where is_true_up_metric) as used_by_components
    from {{ snapshot_ref('fct_license_position_detail') }}
    group by all
),

rc as (
    select
        as_of_date,
        publisher_norm,
        product_norm,
        sum(reharvest_value) as reharvest_value
    from {{ snapshot_ref('fct_license_reclamation') }}
    group by all
),

pol as (
    select * from {{ ref('int_policy') }}
)

select
    p.as_of_date,
    p.publisher,
    p.product,
    p.true_up_metric as license_metric,
    p.metrics_pooled,
    cast(p.consumption + d.used_by_components + d.unused_t - p.shortfall_units as decimal(18, 2)) as entitlements,
    cast(p.expired as decimal(18, 2)) as entitlements_expired,
    cast(p.outside_version_rights as decimal(18, 2)) as entitlements_outside_version_rights,
    cast(p.consumption + d.used_by_components as decimal(18, 2)) as consumption,
    cast(p.active_consumption + d.used_by_components as decimal(18, 2)) as active_consumption_90d,
    cast(d.unused_t - p.shortfall_units as decimal(18, 2)) as position,
    cast(greatest(d.unused_t - p.shortfall_units, 0) as decimal(18, 2)) as over_licensed,
    cast(p.consumption - p.active_consumption as decimal(18, 2)) as reclaimable,
    cast(p.shortfall_units as decimal(18, 2)) as shortfall_units,
    cast(p.true_up_units as decimal(18, 2)) as true_up_units,
    p.unit_cost,
    p.license_type,
    cast(
        case when p.license_type = 'perpetual' then round(p.true_up_units * p.unit_cost, 2) else 0 end as decimal(18, 2)
    )
        as true_up_exposure_one_time,
    cast(
        case when p.license_type = 'subscription' then round(p.true_up_units * p.unit_cost, 2) else 0 end as decimal(
            18, 2
        )
    )
        as true_up_exposure_per_year,
    cast(coalesce(d.recurring_savings_per_year, 0) as decimal(18, 2)) as recurring_savings_per_year,
    cast(coalesce(rc.reharvest_value, 0) as decimal(18, 2)) as reharvest_value,
    cast(coalesce(d.shelfware_cost_per_year, 0) as decimal(18, 2)) as shelfware_cost_per_year,
    pol.reporting_currency as currency,
    pol.reclaim_window_days,
    cast(p.consumers_with_default_cores as integer) as consumers_with_default_cores,
    cast(p.vms_covered_by_host as integer) as vms_covered_by_host,
    -- The rule that produced the numbers, in words.
    'entitlements of ' || p.metrics_pooled || ' pooled, covering in the declared metric order; counted in '
    || case p.true_up_metric
        when 'device' then 'devices with the product installed, seen within the stale window'
        when 'core'
            then
                'cores of devices with the product installed'
                || case
                    when p.consumers_with_default_cores > 0
                        then
                            ' (' || p.consumers_with_default_cores || ' devices at the default of '
                            || pol.default_cores_per_device || ' cores: discovery reported none)'
                    else ''
                end
                || case
                    when p.vms_covered_by_host > 0
                        then '; ' || p.vms_covered_by_host || ' VMs covered by their licensed host'
                    else ''
                end
                || case
                    when p.vms_counted > 0
                        then '; ' || p.vms_counted || ' VMs counted by their virtual cores'
                    else ''
                end
        when 'user'
            then
                'distinct users of devices with the product installed (CMDB assignment, else last '
                || 'logged-on user; a device with no known user counts once) and SaaS users assigned or active '
                || 'within the reclaim window'
        when 'subscription' then case
            when coalesce(p.bases, '') like '%saas_usage%'
                then 'users with seats assigned in the SaaS usage feed or the product installed'
            else 'distinct users of devices with the product installed (no SaaS usage feed for it)'
        end
    end
    || case
        when p.outside_version_rights > 0
            then
                '; '
                || cast(p.outside_version_rights as bigint)
                || ' entitled units left out: their version rights (up to '
                || p.rights_seen || ') do not cover the releases installed'
        else ''
    end as consumption_rule,
    p.publisher_norm,
    p.product_norm
from p
cross join pol
inner join detail as d using (as_of_date, publisher_norm, product_norm)
left join rc using (as_of_date, publisher_norm, product_norm)
