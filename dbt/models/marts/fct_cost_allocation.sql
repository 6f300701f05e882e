-- IT cost per cost center × period × cost category per snapshot date, after spreading the shared
-- IT cost centers (docs/marts.md "fct_cost_allocation"). amount = source_gl_amount (what the GL
-- booked on this cost center) − spread_out_amount + allocated_in_amount; per period the amounts
-- and the source GL amounts each sum to the GL total, cent for cent. The how, source by source, is
-- in fct_cost_allocation_detail.
select
    as_of_date,
    period,
    cost_center,
    cost_category,
    cast(sum(amount) as decimal(18, 2)) as amount,
    case
        when bool_or(allocation_method = 'spread_out') then 'spread_out'
        when bool_or(allocation_method = 'not_spread') then 'not_spread'
        when
            bool_or(allocation_method = 'direct') and bool_or(allocation_method = 'allocated')
            then 'direct_and_allocated'
        when bool_or(allocation_method = 'allocated') then 'allocated'
        else 'direct'
    end as allocation_method,
    {{ string_agg("allocation_driver", "'+'", "allocation_driver", distinct=true) }} as allocation_driver,
    cast(sum(source_gl_amount) as decimal(18, 2)) as source_gl_amount,
    cast(coalesce(sum(amount) filter (where allocation_method = 'allocated'), 0) as decimal(18, 2))
        as allocated_in_amount,
    cast(
        coalesce(sum(source_gl_amount - amount) filter (where allocation_method = 'spread_out'), 0) as decimal(18, 2)
    ) as spread_out_amount,
    min(currency) as currency
from {{ ref('fct_cost_allocation_detail') }}
group by as_of_date, period, cost_center, cost_category
