-- Who or what holds (or lacks) a license of each product at each snapshot date, one row per
-- product × consumption item, with the metric and units it counts in (issue 13): the metric that
-- covers it in the effective license position (int_license_coverage) and the units it holds
-- there, or, uncovered, the product's true-up metric and the units it needs (a user once).
-- Readers that share license cost over consumers (fct_asset_tco) use license_metric and units;
-- consumer_key is the asset_id for matched devices.
with cov as (
    select * from {{ snapshot_ref('int_license_coverage') }}
),

prod as (
    select
        as_of_date,
        publisher_norm,
        product_norm,
        true_up_metric
    from {{ snapshot_ref('int_license_product_position') }}
)

select
    c.as_of_date,
    c.publisher_norm,
    c.product_norm,
    coalesce(c.covered_metric, p.true_up_metric) as license_metric,
    c.covered_metric is not null as is_covered,
    c.consumer_key,
    c.consumer_type,
    c.asset_id,
    c.hostname,
    c.user_email,
    c.cost_center,
    c.last_used_at,
    c.days_idle,
    c.is_reclaimable,
    c.covered_by_host,
    c.basis,
    case when c.covered_metric is not null then c.held_units else {{ license_units('p.true_up_metric',
        'row_number() over (partition by c.as_of_date, c.publisher_norm, c.product_norm, c.user_key, c.covered_metric '
        'order by c.consumer_key) = 1', 'c.core_units') }} end as units,
    c.cores_defaulted as units_defaulted
from cov as c
inner join prod as p using (as_of_date, publisher_norm, product_norm)
