{{ config(meta={'dagster': {'ref': {'name': 'fct_reconciliation_summary'}}}) }}
-- Invariant: the summary counts every exception of a quarter exactly once, and each exception
-- appears once per quarter.
with q as (
    select quarter, count(*) as n, count(distinct exception_id) as ids
    from {{ ref('fct_reconciliation_quarters') }} group by 1
),
s as (
    select quarter, sum(new + still_open + reopened + resolved) as n
    from {{ ref('fct_reconciliation_summary') }} group by 1
)
select q.quarter, q.n, q.ids, s.n as summarised
from q full join s using (quarter)
where q.n is distinct from s.n or q.n <> q.ids
