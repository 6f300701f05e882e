-- The reconciliation pack's summary: per quarter, exception type and cost center, how the
-- exceptions moved against the previous quarter and how many still count as open.
select
    quarter,
    as_of_date,
    previous_quarter,
    previous_as_of_date,
    exception_type,
    coalesce(cost_center, '(none)') as cost_center,
    count(*) filter (where status = 'new') as new,
    count(*) filter (where status = 'open') as still_open,
    count(*) filter (where status = 'reopened') as reopened,
    count(*) filter (where status = 'resolved') as resolved,
    count(*) filter (where detected_now) as detected_now,
    count(*) filter (where detected_last_quarter) as detected_last_quarter,
    count(*) filter (where counts_as_open) as counts_as_open,
    count(*) filter (where detected_now and resolution_action = 'accepted_risk') as accepted_risk,
    count(*) filter (where detected_now and resolution_action = 'false_positive') as false_positive,
    count(
        *) filter (
        where detected_now and resolution_action in ('fixed_in_source', 'retire')
        and not counts_as_open
    ) as fix_pending
from {{ ref('fct_reconciliation_quarters') }}
group by all
