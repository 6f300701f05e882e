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
