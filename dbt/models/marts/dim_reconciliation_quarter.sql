-- The quarters the warehouse can reconcile: each calendar quarter holding at least one snapshot,
-- represented by its last snapshot (the quarter-end itself when exports or the build's as-of
-- date fall on it), and compared with the previous quarter that has a snapshot.
with snapshots as (
    select
        as_of_date,
        year(as_of_date) || 'Q' || quarter(as_of_date) as quarter,
        cast(date_trunc('quarter', as_of_date) as date) as quarter_start,
        cast(date_trunc('quarter', as_of_date) + interval 3 month - interval 1 day as date) as quarter_end
    from {{ ref('int_as_of_dates') }}
),

quarters as (
    select
        quarter,
        quarter_start,
        quarter_end,
        max(as_of_date) as as_of_date,
        count(*) as snapshots_in_quarter
    from snapshots
    group by all
)

select
    quarter,
    as_of_date,
    quarter_start,
    quarter_end,
    as_of_date = quarter_end as is_quarter_end,
    snapshots_in_quarter,
    lag(quarter) over (
        order by as_of_date
    ) as previous_quarter,
    lag(as_of_date) over (
        order by as_of_date
    ) as previous_as_of_date
from quarters
