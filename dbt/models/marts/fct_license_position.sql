-- License position per product and metric per snapshot date (docs/license-position.md):
-- entitlements in force against consumption by the product's metric; reclaimable consumption
-- (no use within the reclaim window) and what reclaiming it saves; the true-up exposure of
-- under-licensed products. Money in the reporting currency.
with ent as (
    select
        as_of_date, publisher_norm, product_norm, license_metric,
        arg_max(publisher_name, purchase_date) as publisher,
        arg_max(product_name, purchase_date) as product,
        sum(case when is_active then quantity else 0 end) as entitlements,
        sum(case when not is_active then quantity else 0 end) as entitlements_expired,
        count(*) filter (where is_active) as active_entitlement_rows,
        -- The current unit cost: the latest purchase in force (else the latest at all).
        coalesce(arg_max(unit_cost_rc, purchase_date) filter (where is_active),
                 arg_max(unit_cost_rc, purchase_date)) as unit_cost
    from {{ ref('int_license_entitlements') }}
    group by all
),
pol as (
    select * from {{ ref('int_policy') }}
),
cons as (
    select
        c.as_of_date, c.publisher_norm, c.product_norm, c.license_metric,
        sum(c.units) as consumption,
        sum(c.units) filter (
            where c.last_used_at is null
               or c.last_used_at >= c.as_of_date - to_days(cast(pol.reclaim_window_days as integer))
        ) as active_consumption,
        count(*) as consumers,
        count(*) filter (where c.units_defaulted) as consumers_with_default_cores,
        string_agg(distinct c.basis, ',') as bases
    from {{ ref('int_license_consumers') }} c
    cross join pol
    group by all
)
select
    e.as_of_date,
    e.publisher,
    e.product,
    e.license_metric,
    cast(e.entitlements as decimal(18, 2)) as entitlements,
    cast(e.entitlements_expired as decimal(18, 2)) as entitlements_expired,
    cast(coalesce(c.consumption, 0) as decimal(18, 2)) as consumption,
    cast(coalesce(c.active_consumption, 0) as decimal(18, 2)) as active_consumption_90d,
    cast(e.entitlements - coalesce(c.consumption, 0) as decimal(18, 2)) as position,
    cast(greatest(e.entitlements - coalesce(c.consumption, 0), 0) as decimal(18, 2)) as over_licensed,
    cast(coalesce(c.consumption, 0) - coalesce(c.active_consumption, 0) as decimal(18, 2)) as reclaimable,
    cast(e.unit_cost as decimal(18, 2)) as unit_cost,
    cast(round((coalesce(c.consumption, 0) - coalesce(c.active_consumption, 0)) * e.unit_cost, 2) as decimal(18, 2)) as reclaim_savings,
    cast(round(greatest(coalesce(c.consumption, 0) - e.entitlements, 0) * e.unit_cost, 2) as decimal(18, 2)) as true_up_exposure,
    pol.reporting_currency as currency,
    pol.reclaim_window_days,
    coalesce(c.consumers_with_default_cores, 0) as consumers_with_default_cores,
    -- The rule that produced the consumption number, in words.
    case e.license_metric
        when 'device' then 'distinct devices with the product installed, seen within the stale window'
        when 'core' then 'cores of devices with the product installed'
            || case when coalesce(c.consumers_with_default_cores, 0) > 0
                    then ' (' || c.consumers_with_default_cores || ' devices at the default of '
                         || pol.default_cores_per_device || ' cores: discovery reported none)' else '' end
        when 'user' then 'distinct users of devices with the product installed or with a SaaS seat'
        when 'subscription' then case when coalesce(c.bases, '') like '%saas_usage%'
                                      then 'seats assigned in the SaaS usage feed'
                                      else 'distinct users of devices with the product installed (no SaaS usage feed for it)' end
    end as consumption_rule,
    e.publisher_norm,
    e.product_norm
from ent e
cross join pol
left join cons c using (as_of_date, publisher_norm, product_norm, license_metric)
