-- Reconciliation sign-offs known at each snapshot: every pack signed for a quarter whose snapshot
-- is on or before the snapshot date. The governance KPI "last signed quarter" is the row with
-- is_last_signed_quarter (and is_latest_signoff, when a quarter was signed more than once).
with s as (
    select * from {{ ref('stg_decisions__signoffs') }}
),

known as (
    select
        d.as_of_date,
        s.*
    from {{ ref('int_as_of_dates') }} as d
    inner join s on d.as_of_date >= s.signed_as_of_date
)

select
    as_of_date,
    quarter,
    signed_as_of_date,
    pack_sha256,
    signed_by,
    signed_at,
    exceptions_listed,
    open_at_signoff,
    note,
    row_number() over (
        partition by as_of_date, quarter
        order by signed_at desc, signoff_row desc
    ) = 1
        as is_latest_signoff,
    quarter = max(quarter) over (partition by as_of_date) as is_last_signed_quarter
from known
