-- Which governed attributes of which assets changed between two snapshots: every snapshot
-- against the previous one, and every quarter's snapshot against the previous quarter's (the
-- same pair when snapshots are quarterly). Only assets present in both snapshots; an attribute
-- that appears or disappears counts as a change (change_kind set / cleared).
-- Two sources (column `source`): governed attributes (owner, location, state, cost center: CMDB
-- and the governance rules) and what discovery saw (issue 14.4): OS and version, cores, sockets,
-- memory, firmware of the asset, and, between the device's latest inventory at each snapshot,
-- packages added / removed / updated and virtual machines added / removed (counts, with the
-- names in `details`). Discovery set changes compare two inventories that both carry the list
-- (a partial inventory without packages is not "everything removed").
with dates as (
    select
        as_of_date,
        lag(as_of_date) over (
            order by as_of_date
        ) as previous_as_of_date
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
    from (
        select * from dates
        where previous_as_of_date is not null
    ) as s
    full join (
        select * from {{ ref('dim_reconciliation_quarter') }}
        where previous_as_of_date is not null
    ) as q
        on s.as_of_date = q.as_of_date and s.previous_as_of_date = q.previous_as_of_date
),

a as (
    select
        as_of_date,
        asset_id,
        asset_kind,
        asset_class,
        asset_name,
        serial_number,
        hostname,
        assigned_user,
        accountable_owner,
        owning_function,
        location,
        lifecycle_state,
        cost_center
    from {{ ref('int_asset_governance') }}
),

both_sides as (
    select
        p.*,
        n.asset_id,
        n.asset_kind,
        n.asset_class,
        n.asset_name,
        n.serial_number,
        n.hostname,
        o.assigned_user as old_assigned_user,
        n.assigned_user as new_assigned_user,
        o.accountable_owner as old_accountable_owner,
        n.accountable_owner as new_accountable_owner,
        o.owning_function as old_owner_function,
        n.owning_function as new_owner_function,
        o.location as old_location,
        n.location as new_location,
        o.lifecycle_state as old_lifecycle_state,
        n.lifecycle_state as new_lifecycle_state,
        o.cost_center as old_cost_center,
        n.cost_center as new_cost_center
    from pairs as p
    inner join a as o on p.from_as_of_date = o.as_of_date
    inner join a as n on p.to_as_of_date = n.as_of_date and o.asset_id = n.asset_id
),

disc as (
    select
        as_of_date,
        asset_id,
        os_name,
        os_version,
        cast(cores as string) as cores,
        cast(sockets as string) as sockets,
        cast(memory_mb as string) as memory_mb,
        firmware,
        discovery_sources
    from {{ ref('int_device_assets') }}
    where in_discovery
),

disc_both as (
    select
        p.*, n.asset_id, n.discovery_sources
        {%- for attribute in ['os_name', 'os_version', 'cores', 'sockets', 'memory_mb', 'firmware'] %}
            ,
            o.{{ attribute }} as old_{{ attribute }}, n.{{ attribute }} as new_{{ attribute }}
    
        {%- endfor %}
    from pairs as p
    inner join disc as o on p.from_as_of_date = o.as_of_date
    inner join disc as n on p.to_as_of_date = n.as_of_date and o.asset_id = n.asset_id
),

disc_changes as (
    {% for attribute in ['os_name', 'os_version', 'cores', 'sockets', 'memory_mb', 'firmware'] %}
        select
            from_as_of_date,
            to_as_of_date,
            from_quarter,
            to_quarter,
            is_consecutive_snapshot,
            is_quarter_comparison,
            asset_id,
            '{{ attribute }}' as attribute,
            old_{{ attribute }} as old_value,
            new_{{ attribute }} as new_value,
            cast(null as bigint) as change_count,
            cast(null as string) as details,
            discovery_sources as source_detail
        from disc_both
        where old_{{ attribute }} is distinct from new_{{ attribute }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

-- Items of each device's inventories: packages (publisher + product, with version) and the VMs
-- that run on it, keyed by the device's serial (else hostname) as the inventory wrote it.
items as (
    select
        'software' as item_kind,
        s.discovery_source,
        s.export_date,
        s.observed_at,
        coalesce({{ normalise_serial('s.serial_number') }}, {{ normalise_hostname('s.hostname') }}) as device_key,
        lower(trim(s.publisher)) || ' / ' || lower(trim(s.product)) as item_key,
        trim(s.product) as item_name,
        coalesce(s.version, '') as item_version
    from {{ ref('stg_discovery__software_installs') }} as s
    union all
    select
        'vm',
        v.discovery_source,
        v.export_date,
        v.observed_at,
        coalesce({{ normalise_serial('v.runs_on') }}, {{ normalise_hostname('v.runs_on') }}),
        lower(coalesce(nullif(trim(v.uuid), ''), trim(v.hostname))),
        trim(v.hostname),
        ''
    from {{ ref('stg_discovery__devices') }} as v
    where v.runs_on is not null
),

-- The latest inventory carrying each kind of item per device at each snapshot.
inventories as (  -- one row per inventory (device and time), not per item
    select distinct
        item_kind,
        device_key,
        export_date,
        observed_at
    from items
),

captures as (
    select
        d.as_of_date,
        i.item_kind,
        i.device_key,
        max(i.observed_at) as captured_at
    from {{ ref('int_as_of_dates') }} as d
    inner join inventories as i on d.as_of_date >= i.export_date and i.observed_at < d.as_of_date + interval 1 day
    group by all
),

capture_items as (
    select distinct
        c.as_of_date,
        c.item_kind,
        c.device_key,
        i.discovery_source,
        i.item_key,
        i.item_name,
        i.item_version
    from captures as c
    inner join items as i on c.item_kind = i.item_kind and c.device_key = i.device_key and c.captured_at = i.observed_at
),

device_assets as (
    select distinct
        as_of_date,
        coalesce(serial_norm, hostname_norm) as device_key,
        asset_id
    from {{ ref('int_asset_matching') }}
    where record_id like 'disc:%' and coalesce(serial_norm, hostname_norm) is not null
),

set_pairs as (
    select
        p.from_as_of_date,
        p.to_as_of_date,
        p.from_quarter,
        p.to_quarter,
        p.is_consecutive_snapshot,
        p.is_quarter_comparison,
        c.item_kind,
        c.device_key
    from pairs as p
    inner join captures as o on p.from_as_of_date = o.as_of_date
    inner join captures
        as c on p.to_as_of_date = c.as_of_date and o.item_kind = c.item_kind
    and o.device_key = c.device_key and o.captured_at < c.captured_at
),

side_items as (
    select
        sp.*,
        'old' as side,
        i.item_key,
        i.item_name,
        i.item_version,
        i.discovery_source
    from set_pairs as sp
    inner join
        capture_items as i
        on sp.from_as_of_date = i.as_of_date and sp.item_kind = i.item_kind and sp.device_key = i.device_key
    union all
    select
        sp.*,
        'new',
        i.item_key,
        i.item_name,
        i.item_version,
        i.discovery_source
    from set_pairs as sp
    inner join
        capture_items as i
        on sp.to_as_of_date = i.as_of_date and sp.item_kind = i.item_kind and sp.device_key = i.device_key
),

set_counts as (
    select
        from_as_of_date,
        to_as_of_date,
        item_kind,
        device_key,
        count(distinct item_key) filter (where side = 'old') as old_n,
        count(distinct item_key) filter (where side = 'new') as new_n
    from side_items
    group by all
),

set_diff as (
    select
        from_as_of_date,
        to_as_of_date,
        any_value(from_quarter) as from_quarter,
        any_value(to_quarter) as to_quarter,
        any_value(is_consecutive_snapshot) as is_consecutive_snapshot,
        any_value(is_quarter_comparison) as is_quarter_comparison,
        item_kind,
        device_key,
        item_key,
        min(item_name) as item_name,
        string_agg(distinct discovery_source, ',') as discovery_source,
        case
            when not bool_or(side = 'old') then 'added'
            when not bool_or(side = 'new') then 'removed'
            -- the whole condition in brackets: sqlfluff's DuckDB grammar cannot parse IS DISTINCT FROM
            -- directly after WHEN
            when
                (
                    min(item_version) filter (where side = 'old') is distinct from min(item_version) filter (
                        where side = 'new'
                    )
                )
                then 'updated'
        end as change
    from side_items
    group by from_as_of_date, to_as_of_date, item_kind, device_key, item_key
),

set_changes as (
    select
        d.from_as_of_date,
        d.to_as_of_date,
        d.from_quarter,
        d.to_quarter,
        d.is_consecutive_snapshot,
        d.is_quarter_comparison,
        a.asset_id,
        case d.item_kind when 'software' then 'software_' || d.change else 'vms_' || d.change end as attribute,
        cast(any_value(c.old_n) as string) as old_value,
        cast(any_value(c.new_n) as string) as new_value,
        count(*) as change_count,
        {{ string_agg("d.item_name", "', '", "d.item_name") }} as details,
        {{ string_agg("d.discovery_source", "','", "d.discovery_source", distinct=true) }} as source_detail
    from set_diff as d
    inner join set_counts as c using (from_as_of_date, to_as_of_date, item_kind, device_key)
    inner join device_assets as a on d.to_as_of_date = a.as_of_date and d.device_key = a.device_key
    where d.change is not null
    group by all
),

changes as (
    {% for attribute in ['assigned_user', 'accountable_owner', 'owner_function', 'location', 'lifecycle_state',
                         'cost_center'] %}
        select
            *,
            '{{ attribute }}' as attribute,
            old_{{ attribute }} as old_value,
            new_{{ attribute }} as new_value
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
    case when old_value is null then 'set' when new_value is null then 'cleared' else 'changed' end as change_kind,
    'cmdb' as source,
    cast(null as string) as source_detail,
    cast(null as bigint) as change_count,
    cast(null as string) as details
from changes

union all

select
    x.to_as_of_date as as_of_date,
    x.from_as_of_date,
    x.to_as_of_date,
    x.from_quarter,
    x.to_quarter,
    x.is_consecutive_snapshot,
    x.is_quarter_comparison,
    x.asset_id,
    a.asset_kind,
    a.asset_class,
    a.asset_name,
    a.serial_number,
    a.hostname,
    x.attribute,
    x.old_value,
    x.new_value,
    case
        when x.change_count is not null then regexp_extract(x.attribute, '_(added|removed|updated)$', 1)
        when x.old_value is null then 'set' when x.new_value is null then 'cleared' else 'changed'
    end,
    'discovery',
    x.source_detail,
    x.change_count,
    x.details
from (
    select * from disc_changes
    union all
    select * from set_changes
) as x
inner join a on x.to_as_of_date = a.as_of_date and x.asset_id = a.asset_id
