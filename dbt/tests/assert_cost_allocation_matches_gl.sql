-- Finance's invariant: per snapshot date, period and cost category, the allocated amounts and the
-- source GL amounts each sum exactly (to the cent) to the GL total of the lines, each converted to
-- the reporting currency and rounded to the cent. Rows: the periods that do not add up.
-- A test of several models is an asset check of the one it guards (no dagster-dbt indirect selection).
{{ config(meta={'dagster': {'ref': {'name': 'fct_cost_allocation'}}}) }}
{{ config(severity='error') }}
with gl as (
    select as_of_date, period, account_category as cost_category, sum(amount_rc) as gl_total
    from {{ ref('int_gl_lines') }}
    group by all
),
alloc as (
    select as_of_date, period, cost_category, sum(amount) as allocated, sum(source_gl_amount) as booked
    from {{ ref('fct_cost_allocation') }}
    group by all
)
select
    coalesce(g.as_of_date, a.as_of_date) as as_of_date,
    coalesce(g.period, a.period) as period,
    coalesce(g.cost_category, a.cost_category) as cost_category,
    g.gl_total, a.allocated, a.booked
from gl g
full outer join alloc a using (as_of_date, period, cost_category)
where g.gl_total is distinct from a.allocated or g.gl_total is distinct from a.booked
