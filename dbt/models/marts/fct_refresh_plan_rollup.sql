-- The refresh plan rolled up per planned quarter and cost center per snapshot date: how many
-- assets are due, by reason, action and backlog, and what it is estimated to cost (reporting
-- currency): replacement_cost_estimate = new hardware (replace and extend_or_replace rows; an
-- os_upgrade replaces nothing), planned_cost = the cost of the planned actions.
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
    min(currency) as currency,
    -- issue 13
    count(*) filter (where action = 'replace') as assets_replace,
    count(*) filter (where action = 'extend_or_replace') as assets_extend_or_replace,
    count(*) filter (where action = 'os_upgrade') as assets_os_upgrade,
    count(*) filter (where due_status = 'backlog') as assets_backlog,
    count(*) filter (where due_status = 'newly_due') as assets_newly_due,
    cast(coalesce(sum(planned_cost), 0) as decimal(18, 2)) as planned_cost
from {{ snapshot_ref('fct_refresh_plan') }}
group by as_of_date, planned_quarter, cost_center
