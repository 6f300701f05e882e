-- Lifecycle state changes of each CMDB CI between consecutive CMDB exports, judged against the
-- transitions the taxonomy allows (taxonomy/lifecycle.yaml). Source status words are mapped onto
-- lifecycle states through taxonomy.status_map first, so "Deployed" -> "Decommissioned" is
-- in_use -> retired whatever the tool calls it.
-- A change is `valid` when the pair is declared; staying in a state is not a change.
-- `current_until` is the next change's export date: an invalid transition stays detected in every
-- snapshot while the CI still sits in the state it wrongly jumped to (docs/decisions/lifecycle-transitions.md).
with per_export as (
    select
        c.ci_id,
        c.export_date,
        coalesce(sm.state, lower(trim(c.status))) as lifecycle_state,
        lower(trim(c.status)) as source_status
    from {{ ref('stg_cmdb__configuration_items') }} as c
    left join {{ ref('stg_taxonomy__status_map') }} as sm
        on sm.source_system = 'cmdb' and sm.source_status = lower(trim(c.status))
    qualify row_number() over (
        partition by c.ci_id, c.export_date
        order by c.source_row_number desc
    ) = 1
),

sequenced as (
    select
        *,
        lag(lifecycle_state) over w as from_state,
        lag(source_status) over w as from_status,
        lag(export_date) over w as from_export_date
    from per_export
    window w as (
        partition by ci_id
        order by export_date
    )
),

changes as (
    select
        ci_id,
        from_export_date,
        export_date as to_export_date,
        from_state,
        lifecycle_state as to_state,
        from_status,
        source_status as to_status
    from sequenced
    where from_state is not null and from_state <> lifecycle_state
)

select
    ch.*,
    lead(ch.to_export_date) over (
        partition by ch.ci_id
        order by ch.to_export_date
    ) as current_until,
    t.from_state is not null as valid
from changes as ch
left join {{ ref('stg_taxonomy__lifecycle_transitions') }} as t
    on ch.from_state = t.from_state and ch.to_state = t.to_state
