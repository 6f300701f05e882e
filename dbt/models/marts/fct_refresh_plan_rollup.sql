-- The refresh plan rolled up per planned quarter and cost center per snapshot date: how many
-- assets are due and what replacing them is estimated to cost (reporting currency).
select
    as_of_date,
    planned_quarter,
    cost_center,
    count(*) as assets_due,
    count(*) filter (where reason = 'warranty_end') as assets_warranty_end,
    count(*) filter (where reason = 'end_of_life') as assets_end_of_life,
    count(*) filter (where reason = 'age') as assets_age,
    count(*) filter (where is_overdue) as assets_overdue,
    cast(coalesce(sum(replacement_cost_estimate), 0) as decimal(18, 2)) as replacement_cost_estimate,
    count(*) filter (where replacement_cost_estimate is null) as assets_without_cost_estimate,
    min(currency) as currency
from {{ ref('fct_refresh_plan') }}
group by as_of_date, planned_quarter, cost_center
