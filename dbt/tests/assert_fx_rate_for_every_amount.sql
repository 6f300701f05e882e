-- Every amount needs a rate to the reporting currency for its month: a missing rate is an error
-- naming currency and period, never a silent zero. Add the rate to taxonomy/policies.yaml.
-- A test of several models is an asset check of the one it guards (no dagster-dbt indirect selection).
{{ config(meta={'dagster': {'ref': {'name': 'int_purchase_lines'}}}) }}
{{ config(severity='error') }}
select 'procurement.purchase_lines' as source_entity, upper(trim(currency)) as currency, order_period as period, count(*) as rows_without_rate
from {{ ref('int_purchase_lines') }} where fx_rate is null group by all
union all
select 'procurement.license_entitlements', upper(trim(currency)), strftime(purchase_date, '%Y-%m'), count(*)
from {{ ref('int_license_entitlements') }} where fx_rate is null group by all
union all
select 'finance.fixed_assets', upper(trim(currency)), strftime(in_service_date, '%Y-%m'), count(*)
from {{ ref('int_fixed_assets') }} where fx_rate is null group by all
union all
select 'finance.gl_lines', currency, period, count(*)
from {{ ref('int_gl_lines') }} where fx_rate is null group by all
union all
select 'finance.cloud_costs', currency, period, count(*)
from {{ ref('int_cloud_costs') }} where fx_rate is null group by all
