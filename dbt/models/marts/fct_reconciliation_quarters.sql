-- Every exception of a quarter's reconciliation: those detected at the quarter's snapshot, and
-- those detected at the previous quarter's snapshot that are gone now. `status` compares the two
-- quarter snapshots (snapshots in between do not count): new (never detected up to last quarter),
-- open (detected in both), reopened (detected now, not last quarter but earlier; or a fix was
-- claimed since last quarter and it is still detected), resolved (detected last quarter, not now).
-- Resolution columns and counts_as_open are those in force at the quarter's snapshot.
with q as (
    select * from {{ ref('dim_reconciliation_quarter') }}
),

ex as (
    select * from {{ ref('fct_reconciliation_exceptions') }}
),

cur as (
    select
        q.quarter,
        q.previous_quarter,
        q.previous_as_of_date,
        q.is_quarter_end,
        -- the exception's own previous snapshot may be mid-quarter: last quarter's is what counts
        e.* {{ star_exclude() }} (previous_as_of_date)
    from q
    inner join ex as e on q.as_of_date = e.as_of_date
),

classified as (
    select
        c.*,
        coalesce(p.detected, false) as detected_last_quarter,
        case
            when
                c.detected and (c.previous_as_of_date is null or c.first_detected_on > c.previous_as_of_date)
                then 'new'
            when c.detected and not coalesce(p.detected, false) then 'reopened'
            when
                c.detected and c.resolution_action in ('fixed_in_source', 'retire')
                and c.decision_as_of_date < c.as_of_date and c.decision_as_of_date >= c.previous_as_of_date
                then 'reopened'
            when c.detected then 'open'
            else 'resolved'
        end as quarter_status
    from cur as c
    left join ex as p on c.exception_id = p.exception_id and c.previous_as_of_date = p.as_of_date
)

select
    c.quarter,
    c.as_of_date,
    c.previous_quarter,
    c.previous_as_of_date,
    c.is_quarter_end,
    c.exception_id,
    c.exception_type,
    c.quarter_status as status,
    c.counts_as_open,
    c.cost_center,
    c.asset_id,
    a.asset_class,
    a.hostname,
    a.serial_number,
    a.accountable_owner,
    a.asset_manager,
    c.detail,
    c.problem_key,
    c.first_detected_on,
    c.last_detected_on,
    c.detected as detected_now,
    c.detected_last_quarter,
    c.status as snapshot_status,
    c.resolution_action,
    c.resolved_by,
    c.resolved_at,
    c.note,
    c.decision_as_of_date
from classified as c
left join {{ ref('int_asset_governance') }} as a
    on c.last_detected_on = a.as_of_date and c.asset_id = a.asset_id
where c.detected or c.detected_last_quarter
