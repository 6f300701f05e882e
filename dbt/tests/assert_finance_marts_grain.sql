-- The grain of the finance marts: one row per asset (fct_asset_tco) and per cost center, period and
-- category (fct_cost_allocation) per snapshot date.
-- A test of several models is an asset check of the one it guards (no dagster-dbt indirect selection).
{{ config(meta={'dagster': {'ref': {'name': 'fct_cost_allocation'}}}) }}
select 'fct_asset_tco' as mart, as_of_date, asset_id as key, count(*) as n
from {{ ref('fct_asset_tco') }} group by all having count(*) > 1
union all
select 'fct_cost_allocation', as_of_date, period || '|' || cost_center || '|' || cost_category, count(*)
from {{ ref('fct_cost_allocation') }} group by all having count(*) > 1
