-- Every exception counting as open is counted once: either in open_exceptions or, when a silent
-- feed explains it, in silent_feed_exceptions (fct_governance_kpis), never in both or neither.
-- A test of several models is an asset check of the one it guards (no dagster-dbt indirect selection).
{{ config(meta={'dagster': {'ref': {'name': 'fct_governance_kpis'}}}) }}
with marts as (
    select as_of_date, count(*) filter (where counts_as_open) as open_rows
    from {{ ref('fct_reconciliation_exceptions') }}
    group by all
),
kpis as (
    select as_of_date, sum(numerator) as counted
    from {{ ref('fct_governance_kpis') }}
    where kpi in ('open_exceptions', 'silent_feed_exceptions')
    group by all
)
select m.as_of_date, m.open_rows, k.counted
from marts m
left join kpis k using (as_of_date)
where coalesce(k.counted, 0) <> m.open_rows
