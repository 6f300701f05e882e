-- Reconciliation exceptions per snapshot date with their history: first and last detection and a
-- status against the previous snapshot (new, open, reopened, resolved). A resolved exception
-- stays listed in later snapshots with status resolved.
--
-- Resolutions from the decisions store (docs/reconciliation.md) apply from the snapshot they were
-- taken against onwards; the latest one in force wins. accepted_risk and false_positive keep the
-- exception listed but stop it counting as open. fixed_in_source and retire stop it counting at
-- the snapshot they were taken against; if it is still detected at a later snapshot, the fix did
-- not hold: it is `reopened` at the first snapshot after the decision and counts as open again.
with det as (
    select * from {{ ref('int_exceptions_detected') }}
),

ids as (
    select
        exception_id,
        exception_type,
        min(as_of_date) as first_detected_on
    from det
    group by all
),

grid as (
    select
        d.as_of_date,
        i.exception_id,
        i.exception_type,
        i.first_detected_on
    from {{ ref('int_as_of_dates') }} as d
    inner join ids as i on d.as_of_date >= i.first_detected_on
),

joined as (
    select
        g.*,
        det.asset_id,
        det.detail,
        det.problem_key,
        gov.cost_center,
        det.exception_id is not null as detected
    from grid as g
    left join det using (as_of_date, exception_id)
    left join {{ ref('int_asset_governance') }} as gov
        on g.as_of_date = gov.as_of_date and det.asset_id = gov.asset_id
),

history as (
    select
        *,
        lag(as_of_date) over w as previous_as_of_date,
        lag(detected) over w as detected_before,
        max(case when detected then as_of_date end) over w_run as last_detected_on,
        {{ last_value_ignore_nulls("asset_id") }} over w_run as last_asset_id,
        {{ last_value_ignore_nulls("detail") }} over w_run as last_detail,
        {{ last_value_ignore_nulls("problem_key") }} over w_run as last_problem_key,
        -- the cost center of the asset when the exception was last detected ('' = none then)
        nullif({{ last_value_ignore_nulls("case when detected then coalesce(cost_center, '') end") }} over w_run, '')
            as last_cost_center
    from joined
    window
        w as (
            partition by exception_id
            order by as_of_date
        ),
        w_run as (
            partition by exception_id
            order by as_of_date rows between unbounded preceding and current row
        )
),

in_force as (
    -- the latest decision taken against this snapshot or an earlier one
    select
        h.exception_id,
        h.as_of_date,
        r.resolution_action,
        r.resolved_by,
        r.resolved_at,
        r.note,
        r.decision_as_of_date
    from history as h
    inner join {{ ref('stg_decisions__resolutions') }} as r
        on h.exception_id = r.exception_id and h.as_of_date >= r.decision_as_of_date
    qualify row_number() over (
        partition by h.exception_id, h.as_of_date
        order by r.decision_as_of_date desc, r.resolved_at desc, r.decision_row desc
    ) = 1
),

decided as (
    select
        h.*,
        f.resolution_action,
        f.resolved_by,
        f.resolved_at,
        f.note,
        f.decision_as_of_date,
        coalesce(f.resolution_action in ('fixed_in_source', 'retire'), false) as fix_claimed,
        coalesce(f.resolution_action in ('accepted_risk', 'false_positive'), false) as accepted
    from history as h
    left join in_force as f using (exception_id, as_of_date)
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
        when
            detected and fix_claimed and decision_as_of_date < as_of_date
            and decision_as_of_date >= previous_as_of_date then 'reopened'
        when detected then 'open'
        else 'resolved'
    end as status,
    last_cost_center as cost_center,
    detected,
    previous_as_of_date,
    resolution_action,
    resolved_by,
    resolved_at,
    note,
    decision_as_of_date,
    detected and not accepted and not (fix_claimed and decision_as_of_date = as_of_date) as counts_as_open
from decided
