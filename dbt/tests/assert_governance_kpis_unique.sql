-- One row per KPI, snapshot date and filter combination (NULL = none): the dashboards sum these
-- rows under their filters, so a duplicate would count twice. The summary has one per KPI and date.
-- A test of several models is an asset check of the one it guards (no dagster-dbt indirect selection).
{{ config(meta={'dagster': {'ref': {'name': 'fct_governance_kpis'}}}) }}
select 'fct_governance_kpis' as model, kpi, as_of_date, count(*) as rows
from {{ ref('fct_governance_kpis') }}
group by kpi, as_of_date, cost_center, asset_class, accountable_owner, silent_feed
having count(*) > 1
union all
select 'fct_governance_kpi_summary', kpi, as_of_date, count(*)
from {{ ref('fct_governance_kpi_summary') }}
group by kpi, as_of_date
having count(*) > 1
