-- Reconciliation exceptions per snapshot date with their history: first and last detection and a
-- status against the previous snapshot (new, open, reopened, resolved). A resolved exception
-- stays listed in later snapshots with status resolved.
with det as (
    select * from {{ ref('int_exceptions_detected') }}
),
ids as (
    select exception_id, exception_type, min(as_of_date) as first_detected_on
    from det group by all
),
grid as (
    select d.as_of_date, i.exception_id, i.exception_type, i.first_detected_on
    from {{ ref('int_as_of_dates') }} d
    join ids i on d.as_of_date >= i.first_detected_on
),
joined as (
    select
        g.*,
        det.asset_id,
        det.detail,
        det.problem_key,
        det.exception_id is not null as detected
    from grid g
    left join det using (as_of_date, exception_id)
),
history as (
    select
        *,
        lag(detected) over w as detected_before,
        max(case when detected then as_of_date end) over w_run as last_detected_on,
        last_value(asset_id ignore nulls) over w_run as last_asset_id,
        last_value(detail ignore nulls) over w_run as last_detail,
        last_value(problem_key ignore nulls) over w_run as last_problem_key
    from joined
    window
        w as (partition by exception_id order by as_of_date),
        w_run as (partition by exception_id order by as_of_date rows between unbounded preceding and current row)
)
select
    exception_id,
    as_of_date,
    exception_type,
    last_asset_id as asset_id,
    last_detail as detail,
    last_problem_key as problem_key,
    first_detected_on,
    last_detected_on,
    case
        when detected and as_of_date = first_detected_on then 'new'
        when detected and not detected_before then 'reopened'
        when detected then 'open'
        else 'resolved'
    end as status
from history
