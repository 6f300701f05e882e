-- Invariant (issue 13): every money figure is traceable to rows. Per product,
-- fct_license_position's recurring savings and reharvest value are the sums of its
-- fct_license_reclamation rows, and its savings and shelfware the sums of its
-- fct_license_position_detail rows; per product × metric, the detail's reclaimable units are the
-- units of the reclamation rows holding a license of that metric.
-- A test of several models is an asset check of the one it guards (no dagster-dbt indirect selection).
{{ config(meta={'dagster': {'ref': {'name': 'fct_license_position'}}}) }}
with rc as (
    select as_of_date, publisher_norm, product_norm,
        sum(recurring_savings_per_year) as savings, sum(reharvest_value) as reharvest
    from {{ ref('fct_license_reclamation') }}
    group by all
),
rc_metric as (
    select as_of_date, publisher_norm, product_norm, covered_by_metric as license_metric, sum(units) as units
    from {{ ref('fct_license_reclamation') }}
    where covered_by_metric is not null
    group by all
),
d as (
    select as_of_date, publisher_norm, product_norm,
        sum(recurring_savings_per_year) as savings, sum(shelfware_cost_per_year) as shelfware
    from {{ ref('fct_license_position_detail') }}
    group by all
)
select p.as_of_date, p.product, 'position vs rows' as problem
from {{ ref('fct_license_position') }} p
left join rc using (as_of_date, publisher_norm, product_norm)
left join d using (as_of_date, publisher_norm, product_norm)
where p.recurring_savings_per_year <> coalesce(rc.savings, 0)
   or p.reharvest_value <> coalesce(rc.reharvest, 0)
   or p.recurring_savings_per_year <> coalesce(d.savings, 0)
   or p.shelfware_cost_per_year <> coalesce(d.shelfware, 0)
union all
select x.as_of_date, x.product, 'detail reclaimable vs rows (' || x.license_metric || ')'
from {{ ref('fct_license_position_detail') }} x
left join rc_metric r using (as_of_date, publisher_norm, product_norm, license_metric)
where x.reclaimable <> coalesce(r.units, 0)
union all
select r.as_of_date, r.publisher_norm || '/' || r.product_norm, 'reclamation rows without a position'
from rc r
left join {{ ref('fct_license_position') }} p using (as_of_date, publisher_norm, product_norm)
where p.product_norm is null
