-- Invariant: per product and snapshot, fct_license_position.reclaimable is the number of units
-- of its rows in fct_license_reclamation (rows, except core metrics whose rows carry cores) and
-- reclaim_savings their savings, to the cent. Any row returned names the product that disagrees.
-- A test of several models is an asset check of the one it guards (no dagster-dbt indirect selection).
{{ config(meta={'dagster': {'ref': {'name': 'fct_license_position'}}}) }}
with rows_ as (
    select as_of_date, publisher_norm, product_norm, license_metric,
        count(*) as candidate_rows, sum(units) as units, sum(savings) as savings
    from {{ ref('fct_license_reclamation') }}
    group by all
)
select p.as_of_date, p.product, p.license_metric, p.reclaimable, p.reclaim_savings,
    coalesce(r.candidate_rows, 0) as candidate_rows, coalesce(r.units, 0) as units, coalesce(r.savings, 0) as savings
from {{ ref('fct_license_position') }} p
full join rows_ r using (as_of_date, publisher_norm, product_norm, license_metric)
where p.product is null
   or p.reclaimable <> coalesce(r.units, 0)
   or p.reclaim_savings <> coalesce(r.savings, 0)
   or (p.license_metric <> 'core' and p.reclaimable <> coalesce(r.candidate_rows, 0))
