-- Invariant: one row per reclamation candidate and one per SaaS app per snapshot date.
-- A test of several models is an asset check of the one it guards (no dagster-dbt indirect selection).
{{ config(meta={'dagster': {'ref': {'name': 'fct_license_reclamation'}}}) }}
select 'fct_license_reclamation' as mart, as_of_date, reclamation_id as key, count(*) as n
from {{ ref('fct_license_reclamation') }}
group by all
having count(*) > 1
union all
select 'fct_saas_overlap', as_of_date, coalesce(publisher_norm, '?') || '|' || product_norm, count(*)
from {{ ref('fct_saas_overlap') }}
group by all
having count(*) > 1
