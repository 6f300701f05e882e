-- Invariant (issue 13): no consumption counts in two positions. Each consumption item of a
-- product is covered by at most one metric (one coverage row per item), and no metric allocates
-- more than its usable entitlements.
-- A test of several models is an asset check of the one it guards (no dagster-dbt indirect selection).
{{ config(meta={'dagster': {'ref': {'name': 'fct_license_position_detail'}}}) }}
select 'item covered twice' as problem, as_of_date, publisher_norm, product_norm, consumer_key as detail
from {{ ref('int_license_coverage') }}
group by all
having count(*) > 1
union all
select 'metric allocates more than it has', as_of_date, publisher_norm, product_norm,
       license_metric || ': ' || allocated || ' > ' || entitlements
from {{ ref('fct_license_position_detail') }}
where allocated > entitlements or unused < 0
union all
-- A user or subscription license is held once per user, whatever the number of that user's
-- devices and seats; a device license once per device (item).
select 'consumer holds more than one unit of a metric', as_of_date, publisher_norm, product_norm,
       covered_metric || ': ' || user_key || ' holds ' || sum(held_units)
from {{ ref('int_license_coverage') }}
where covered_metric in ('user', 'subscription')
group by as_of_date, publisher_norm, product_norm, covered_metric, user_key
having sum(held_units) > 1
union all
-- The same for what is left uncovered (the units a true-up would buy): a user once.
select 'uncovered consumer counted more than once', as_of_date, publisher_norm, product_norm,
       license_metric || ': ' || user_key || ' counted ' || sum(units)
from (
    select c.*, k.user_key
    from {{ ref('int_license_consumers') }} c
    join {{ ref('int_license_coverage') }} k using (as_of_date, publisher_norm, product_norm, consumer_key)
    where not c.is_covered and c.license_metric in ('user', 'subscription')
)
group by as_of_date, publisher_norm, product_norm, license_metric, user_key
having sum(units) > 1
