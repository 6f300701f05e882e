-- Every amount needs a rate to the reporting currency for its month: a missing rate is an error
-- naming source, currency and the earliest month needed, never a silent zero. One row per source
-- and currency; `problem` says what to add to taxonomy/policies.yaml (issue 14: an amount older
-- than the currency's first rate can instead be accepted with fx_before_first_rate: use_first).
-- A test of several models is an asset check of the one it guards (no dagster-dbt indirect selection).
{{ config(meta={'dagster': {'ref': {'name': 'int_purchase_lines'}}}) }}
{{ config(severity='error') }}
with missing as (
    select 'procurement.purchase_lines' as source_entity, upper(trim(currency)) as currency, order_period as period, count(*) as n
    from {{ ref('int_purchase_lines') }} where fx_rate is null group by all
    union all
    select 'procurement.license_entitlements', upper(trim(currency)), {{ format_date("purchase_date", "%Y-%m") }}, count(*)
    from {{ ref('int_license_entitlements') }} where fx_rate is null group by all
    union all
    select 'finance.fixed_assets', upper(trim(currency)), {{ format_date("in_service_date", "%Y-%m") }}, count(*)
    from {{ ref('int_fixed_assets') }} where fx_rate is null group by all
    union all
    select 'finance.gl_lines', currency, period, count(*)
    from {{ ref('int_gl_lines') }} where fx_rate is null group by all
    union all
    select 'finance.cloud_costs', currency, period, count(*)
    from {{ ref('int_cloud_costs') }} where fx_rate is null group by all
),
first_rates as (
    select currency, min(declared_from_period) as first_period
    from {{ ref('int_fx_rates') }}
    group by all
)
select
    m.source_entity,
    m.currency,
    min(m.period) as period,
    sum(m.n) as rows_without_rate,
    case
        when f.first_period is null then
            'no ' || m.currency || ' rate at all: add ' || m.currency || ' to fx_rates in taxonomy/policies.yaml from ' || min(m.period) || ' or earlier'
        when min(m.period) < f.first_period then
            m.currency || ' amounts from ' || min(m.period) || ' are older than the first ' || m.currency
            || ' rate (' || f.first_period || '): add a rate from ' || min(m.period)
            || ' or earlier to fx_rates in taxonomy/policies.yaml, or set fx_before_first_rate: use_first'
        else 'no ' || m.currency || ' rate covers ' || min(m.period) || ': fix fx_rates in taxonomy/policies.yaml'
    end as problem
from missing m
left join first_rates f on f.currency = m.currency
group by m.source_entity, m.currency, f.first_period
