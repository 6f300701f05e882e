-- Which governed attributes of which assets changed between two snapshots: every snapshot
-- against the previous one, and every quarter's snapshot against the previous quarter's (the
-- same pair when snapshots are quarterly). Only assets present in both snapshots; an attribute
-- that appears or disappears counts as a change (change_kind set / cleared).
with dates as (
    select as_of_date, lag(as_of_date) over (order by as_of_date) as previous_as_of_date
    from {{ ref('int_as_of_dates') }}
),
pairs as (
    select
        coalesce(s.previous_as_of_date, q.previous_as_of_date) as from_as_of_date,
        coalesce(s.as_of_date, q.as_of_date) as to_as_of_date,
        s.as_of_date is not null as is_consecutive_snapshot,
        q.as_of_date is not null as is_quarter_comparison,
        q.previous_quarter as from_quarter,
        q.quarter as to_quarter
    from (select * from dates where previous_as_of_date is not null) s
    full join (select * from {{ ref('dim_reconciliation_quarter') }} where previous_as_of_date is not null) q
        on q.as_of_date = s.as_of_date and q.previous_as_of_date = s.previous_as_of_date
),
a as (
    select as_of_date, asset_id, asset_kind, asset_class, asset_name, serial_number, hostname,
        assigned_user, accountable_owner, owning_function, location, lifecycle_state, cost_center
    from {{ ref('int_asset_governance') }}
),
both_sides as (
    select
        p.*,
        n.asset_id, n.asset_kind, n.asset_class, n.asset_name, n.serial_number, n.hostname,
        o.assigned_user as old_assigned_user, n.assigned_user as new_assigned_user,
        o.accountable_owner as old_accountable_owner, n.accountable_owner as new_accountable_owner,
        o.owning_function as old_owner_function, n.owning_function as new_owner_function,
        o.location as old_location, n.location as new_location,
        o.lifecycle_state as old_lifecycle_state, n.lifecycle_state as new_lifecycle_state,
        o.cost_center as old_cost_center, n.cost_center as new_cost_center
    from pairs p
    join a o on o.as_of_date = p.from_as_of_date
    join a n on n.as_of_date = p.to_as_of_date and n.asset_id = o.asset_id
),
changes as (
    {% for attribute in ['assigned_user', 'accountable_owner', 'owner_function', 'location', 'lifecycle_state', 'cost_center'] %}
    select *, '{{ attribute }}' as attribute, old_{{ attribute }} as old_value, new_{{ attribute }} as new_value
    from both_sides
    where old_{{ attribute }} is distinct from new_{{ attribute }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)
select
    to_as_of_date as as_of_date,
    from_as_of_date,
    to_as_of_date,
    from_quarter,
    to_quarter,
    is_consecutive_snapshot,
    is_quarter_comparison,
    asset_id,
    asset_kind,
    asset_class,
    asset_name,
    serial_number,
    hostname,
    attribute,
    old_value,
    new_value,
    case when old_value is null then 'set' when new_value is null then 'cleared' else 'changed' end as change_kind
from changes
