-- License position per product and metric per snapshot date (docs/marts.md,
-- docs/decisions/license-position.md): entitlements in force and within their version rights
-- against consumption by the product's metric; reclaimable consumption (no use within the reclaim
-- window; one row each in fct_license_reclamation) and what reclaiming it saves; the true-up
-- exposure of under-licensed products. Money in the reporting currency.
with ent as (
    select
        as_of_date, publisher_norm, product_norm, license_metric,
        arg_max(publisher_name, purchase_date) as publisher,
        arg_max(product_name, purchase_date) as product,
        sum(case when is_active then quantity else 0 end) as entitlements_in_force,
        sum(case when not is_active then quantity else 0 end) as entitlements_expired,
        count(*) filter (where is_active) as active_entitlement_rows,
        -- The current unit cost: the latest purchase in force (else the latest at all), in cents
        -- as shown, so savings and exposure are this column times units, to the cent.
        cast(round(coalesce(arg_max(unit_cost_rc, purchase_date) filter (where is_active),
                            arg_max(unit_cost_rc, purchase_date)), 2) as decimal(18, 2)) as unit_cost
    from {{ ref('int_license_entitlements') }}
    group by all
),
pol as (
    select * from {{ ref('int_policy') }}
),
consumers as (
    select * from {{ ref('int_license_consumers') }}
),
cons as (
    select
        as_of_date, publisher_norm, product_norm, license_metric,
        sum(units) as consumption,
        sum(units) filter (where is_reclaimable) as reclaimable,
        count(*) as consumers,
        count(*) filter (where units_defaulted) as consumers_with_default_cores,
        string_agg(distinct basis, ',') as bases
    from consumers
    group by all
),
-- Version rights: an entitlement limited to release L covers consumers of release <= L (or of an
-- unknown release). Limited entitlements that no such consumer can use are left out:
-- outside = max(0, max over levels L of (limited units with level <= L - consumers with
-- release <= L)), per rights scheme (year or major version). Greedy matching from the oldest
-- rights up attains this bound, so the rest of the in-force units can all be used.
rights_levels as (
    select as_of_date, publisher_norm, product_norm, license_metric, rights_scheme, rights_level,
        sum(sum(quantity)) over (
            partition by as_of_date, publisher_norm, product_norm, license_metric, rights_scheme
            order by rights_level) as limited_units_upto
    from {{ ref('int_license_entitlements') }}
    where is_active and rights_level is not null
    group by as_of_date, publisher_norm, product_norm, license_metric, rights_scheme, rights_level
),
rights_gap as (
    select
        r.as_of_date, r.publisher_norm, r.product_norm, r.license_metric, r.rights_scheme, r.rights_level,
        r.limited_units_upto - coalesce(sum(c.units), 0) as unusable
    from rights_levels r
    left join consumers c
        on c.as_of_date = r.as_of_date and c.publisher_norm = r.publisher_norm
       and c.product_norm = r.product_norm and c.license_metric = r.license_metric
       and coalesce(case r.rights_scheme when 'year' then c.install_year else c.install_major end <= r.rights_level, true)
    group by r.as_of_date, r.publisher_norm, r.product_norm, r.license_metric, r.rights_scheme, r.rights_level,
        r.limited_units_upto
),
outside_rights as (
    select as_of_date, publisher_norm, product_norm, license_metric,
        sum(greatest(worst, 0)) as outside_version_rights,
        string_agg(case rights_scheme when 'year' then 'release ' else 'major version ' end || max_level, ', ')
            filter (where worst > 0) as rights_seen
    from (
        select as_of_date, publisher_norm, product_norm, license_metric, rights_scheme,
            max(unusable) as worst, max(rights_level) as max_level
        from rights_gap
        group by all
    )
    group by all
),
pos as (
    select
        e.*,
        e.entitlements_in_force - coalesce(o.outside_version_rights, 0) as entitlements,
        coalesce(o.outside_version_rights, 0) as outside_version_rights,
        coalesce(c.consumption, 0) as consumption,
        coalesce(c.reclaimable, 0) as reclaimable,
        coalesce(c.consumers_with_default_cores, 0) as consumers_with_default_cores,
        c.bases
    from ent e
    left join cons c using (as_of_date, publisher_norm, product_norm, license_metric)
    left join outside_rights o using (as_of_date, publisher_norm, product_norm, license_metric)
)
select
    p.as_of_date,
    p.publisher,
    p.product,
    p.license_metric,
    cast(p.entitlements as decimal(18, 2)) as entitlements,
    cast(p.entitlements_expired as decimal(18, 2)) as entitlements_expired,
    cast(p.outside_version_rights as decimal(18, 2)) as entitlements_outside_version_rights,
    cast(p.consumption as decimal(18, 2)) as consumption,
    cast(p.consumption - p.reclaimable as decimal(18, 2)) as active_consumption_90d,
    cast(p.entitlements - p.consumption as decimal(18, 2)) as position,
    cast(greatest(p.entitlements - p.consumption, 0) as decimal(18, 2)) as over_licensed,
    cast(p.reclaimable as decimal(18, 2)) as reclaimable,
    cast(p.unit_cost as decimal(18, 2)) as unit_cost,
    cast(round(p.reclaimable * p.unit_cost, 2) as decimal(18, 2)) as reclaim_savings,
    cast(round(greatest(p.consumption - p.entitlements, 0) * p.unit_cost, 2) as decimal(18, 2)) as true_up_exposure,
    pol.reporting_currency as currency,
    pol.reclaim_window_days,
    p.consumers_with_default_cores,
    -- The rule that produced the consumption number, in words.
    case p.license_metric
        when 'device' then 'distinct devices with the product installed, seen within the stale window'
        when 'core' then 'cores of devices with the product installed'
            || case when p.consumers_with_default_cores > 0
                    then ' (' || p.consumers_with_default_cores || ' devices at the default of '
                         || pol.default_cores_per_device || ' cores: discovery reported none)' else '' end
        when 'user' then 'distinct users of devices with the product installed (CMDB assignment, else last '
            || 'logged-on user; a device with no known user counts once) and SaaS users assigned or active '
            || 'within the reclaim window'
        when 'subscription' then case when coalesce(p.bases, '') like '%saas_usage%'
                                      then 'seats assigned in the SaaS usage feed'
                                      else 'distinct users of devices with the product installed (no SaaS usage feed for it)' end
    end
    || case when p.outside_version_rights > 0
            then '; ' || cast(p.outside_version_rights as bigint) || ' entitled units left out: their version rights (up to '
                 || o.rights_seen || ') do not cover the releases installed'
            else '' end as consumption_rule,
    p.publisher_norm,
    p.product_norm
from pos p
cross join pol
left join outside_rights o using (as_of_date, publisher_norm, product_norm, license_metric)
