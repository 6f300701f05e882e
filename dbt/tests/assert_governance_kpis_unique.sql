-- One row per KPI and snapshot date: the dashboards read the KPI by key.
select kpi, as_of_date, count(*) as rows
from {{ ref('fct_governance_kpis') }}
group by all
having count(*) > 1
