-- Pooled entitlements per product × metric × snapshot date (issue 13; docs/decisions/license-position.md):
-- grants in force (own purchases and bundle components, int_license_grants), those left out by
-- version rights, the usable capacity, and the price of a unit of the metric.
-- Version rights: an entitlement limited to release L covers items of release <= L (downgrade
-- rights, the default) or = L (a product declared downgrade_rights: false), and items whose
-- release cannot be read. Limited units no such item can use are left out:
--   downgrade: max(0, max over levels L of (limited units with level <= L - items of release <= L))
--   exact:     sum over levels L of max(0, limited units at L - items of release L or unknown)
-- counted in the metric's units (cores for core, one per item otherwise). Greedy matching from
-- the oldest rights up attains the downgrade bound, so the rest can all be used.
-- Price: the latest purchase in force of the product's own entitlements of the metric (else the
-- latest at all; a product only granted by bundles: the latest bundle's), in cents; it is a subscription (annual price per unit) when that purchase has a
-- term end, else perpetual (one-time price, plus an annual support fee of maintenance_pct).
with grants as (
    select * from {{ snapshot_ref('int_license_grants') }}
),

rules as (
    select
        {{ normalise_name('publisher') }} as publisher_norm,
        {{ normalise_name('product') }} as product_norm,
        bool_and(downgrade_rights) as downgrade_rights
    from {{ ref('stg_taxonomy__license_products') }}
    group by all
),

items as (
    select
        as_of_date,
        publisher_norm,
        product_norm,
        install_year,
        install_major,
        core_units
    from {{ snapshot_ref('int_license_items') }}
),

metric_units as (
    select
        m.license_metric,
        i.*,
        case when m.license_metric = 'core' then i.core_units else 1 end as units
    from items as i
    cross join (select license_metric from {{ ref('stg_taxonomy__license_metric_order') }}) as m
),

levels as (
    select
        as_of_date,
        publisher_norm,
        product_norm,
        license_metric,
        rights_scheme,
        rights_level,
        sum(quantity) as units_at_level,
        sum(sum(quantity)) over (
            partition by as_of_date, publisher_norm, product_norm, license_metric, rights_scheme
            order by rights_level
        ) as units_upto
    from grants
    where is_active and rights_level is not null
    group by as_of_date, publisher_norm, product_norm, license_metric, rights_scheme, rights_level
),

gaps as (
    select
        l.as_of_date,
        l.publisher_norm,
        l.product_norm,
        l.license_metric,
        l.rights_scheme,
        l.rights_level,
        coalesce(r.downgrade_rights, true) as downgrade_rights,
        l.units_upto - coalesce(sum(u.units) filter (
            where coalesce(
                case l.rights_scheme when 'year' then u.install_year else u.install_major end <= l.rights_level, true
            )
        ), 0)
            as unusable_upto,
        greatest(l.units_at_level - coalesce(sum(u.units) filter (
            where coalesce(
                case l.rights_scheme when 'year' then u.install_year else u.install_major end = l.rights_level, true
            )
        ), 0), 0)
            as unusable_exact
    from levels as l
    left join rules as r using (publisher_norm, product_norm)
    left join metric_units as u
        on
            l.as_of_date = u.as_of_date and l.publisher_norm = u.publisher_norm
            and l.product_norm = u.product_norm and l.license_metric = u.license_metric
    group by
        l.as_of_date, l.publisher_norm, l.product_norm, l.license_metric, l.rights_scheme, l.rights_level,
        r.downgrade_rights, l.units_upto, l.units_at_level
),

outside as (
    select
        as_of_date,
        publisher_norm,
        product_norm,
        license_metric,
        sum(outside) as outside_version_rights,
        string_agg(
            case
                when
                    outside > 0
                    then case rights_scheme when 'year' then 'release ' else 'major version ' end || max_level
            end,
            ', '
        )
            as rights_seen
    from (
        select
            as_of_date,
            publisher_norm,
            product_norm,
            license_metric,
            rights_scheme,
            case when bool_and(downgrade_rights) then greatest(max(unusable_upto), 0) else sum(unusable_exact) end
                as outside,
            -- the rights level that leaves units out (the lowest of equals)
            case
                when bool_and(downgrade_rights) then max_by(rights_level, (unusable_upto, -rights_level))
                else max(rights_level) filter (where unusable_exact > 0)
            end as max_level
        from gaps
        group by all
    )
    group by all
),

ent as (
    select
        as_of_date,
        publisher_norm,
        product_norm,
        license_metric,
        sum(case when is_active then quantity else 0 end) as in_force,
        sum(case when not is_active then quantity else 0 end) as expired,
        sum(case when is_active and granted_by is not null then quantity else 0 end) as granted_by_bundles,
        {{ string_agg("granted_by", "', '", "granted_by", distinct=true, where="is_active") }} as bundles,
        count(*) filter (where is_active and granted_by is null) as own_rows_in_force,
        -- the price: latest own purchase in force, else latest own purchase at all
        coalesce(
            max_by(unit_cost_rc, purchase_date) filter (where is_active and granted_by is null),
            max_by(unit_cost_rc, purchase_date) filter (where granted_by is null),
            -- only granted by bundles: another seat of the latest bundle in force
            max_by(bundle_unit_cost_rc, purchase_date) filter (where is_active),
            max_by(bundle_unit_cost_rc, purchase_date)
        ) as unit_cost_raw,
        coalesce(
            max_by(term_end is null, purchase_date) filter (where is_active and granted_by is null),
            max_by(term_end is null, purchase_date) filter (where granted_by is null),
            max_by(term_end is null, purchase_date)
        ) as priced_perpetual,
        coalesce(
            max_by(maintenance_pct_applied, purchase_date) filter (where is_active and granted_by is null),
            max_by(maintenance_pct_applied, purchase_date)
        ) as maintenance_pct,
        max(purchase_date) filter (where is_active) as latest_purchase_in_force,
        max(purchase_date) filter (where is_active and granted_by is null) as latest_own_purchase_in_force,
        max(purchase_date) filter (where granted_by is null) as latest_own_purchase
    from grants
    group by all
)

select
    e.as_of_date,
    e.publisher_norm,
    e.product_norm,
    e.license_metric,
    e.in_force,
    e.expired,
    e.granted_by_bundles,
    e.bundles,
    coalesce(o.outside_version_rights, 0) as outside_version_rights,
    o.rights_seen,
    e.in_force - coalesce(o.outside_version_rights, 0) as capacity,
    cast(round(e.unit_cost_raw, 2) as decimal(18, 2)) as unit_cost,
    case when e.priced_perpetual then 'perpetual' else 'subscription' end as license_type,
    cast(e.maintenance_pct as decimal(9, 4)) as maintenance_pct,
    -- What one unit costs per year: the subscription price, or a perpetual license's support fee.
    cast(round(case
        when e.priced_perpetual then round(e.unit_cost_raw, 2) * e.maintenance_pct / 100
        else round(e.unit_cost_raw, 2)
    end, 2) as decimal(18, 2)) as annual_unit_cost,
    e.own_rows_in_force,
    e.latest_purchase_in_force,
    e.latest_own_purchase_in_force,
    e.latest_own_purchase
from ent as e
left join outside as o using (as_of_date, publisher_norm, product_norm, license_metric)
