-- Reclamation candidates per snapshot date: one row per product × consumer (device or user)
-- whose last use is older than the policy reclaim window, so the asset manager can act on each.
-- Per product, sum(units) here = fct_license_position.reclaimable and sum(savings) =
-- reclaim_savings (tested: assert_reclaimable_matches_reclamation_rows). Money in the reporting
-- currency; for subscriptions unit_cost is the annual price per seat.
with pos as (
    select as_of_date, publisher_norm, product_norm, license_metric, publisher, product, unit_cost, currency
    from {{ ref('fct_license_position') }}
)
select
    c.as_of_date,
    'RC-' || substr(md5(c.publisher_norm || '|' || c.product_norm || '|' || c.license_metric || '|' || c.consumer_key), 1, 12)
        as reclamation_id,
    p.publisher,
    p.product,
    c.license_metric,
    c.consumer_type,
    c.consumer_key,
    c.asset_id,
    c.hostname,
    c.user_email,
    c.cost_center,
    c.last_used_at,
    cast(c.days_idle as integer) as days_idle,
    pol.reclaim_window_days,
    cast(c.units as decimal(18, 2)) as units,
    c.units_defaulted,
    p.unit_cost,
    cast(round(c.units * p.unit_cost, 2) as decimal(18, 2)) as savings,
    p.currency,
    c.basis,
    c.publisher_norm,
    c.product_norm
from {{ ref('int_license_consumers') }} c
join pos p using (as_of_date, publisher_norm, product_norm, license_metric)
cross join {{ ref('int_policy') }} pol
where c.is_reclaimable
