-- How old every record of every source is at each snapshot date, against the policy window for
-- its source and class, and whether whole feeds went silent (docs/decisions/stale-records.md).
--   record_kind 'record': a device as one discovery source sees it (entity devices), or a CMDB CI
--     (entity configuration_items: stale when not updated within the CMDB window, or in use and
--     not discovered within its discovery window).
--   record_kind 'feed': a discovery source as a whole (its newest sighting), or an export feed
--     (one entity of one landing source: its newest export date).
-- A stale record whose feed is silent is covered by that feed's row (silent_feed): the stopped
-- feed is one finding (is_finding), not one per record.
with pol as (
    select * from {{ ref('int_policy') }}
),

source_windows as (
    select
        discovery_source as source,
        stale_days,
        'stale_window_days.' || discovery_source as rule
    from {{ ref('stg_taxonomy__stale_windows') }}
    union all
    select
        'cmdb',
        cmdb_stale_window_days,
        'cmdb_stale_window_days'
    from pol
),

-- Per source and class, the nearest class (itself, then its ancestors) with a window of its own.
class_windows as (
    select
        w.source,
        anc.class_id,
        min_by(w.stale_days, anc.distance) as stale_days,
        min_by('stale_window_class_days.' || w.source || '.' || w.class_id, anc.distance) as rule
    from {{ ref('stg_taxonomy__class_stale_windows') }} as w
    inner join {{ ref('stg_taxonomy__class_ancestors') }} as anc on w.class_id = anc.ancestor_class_id
    group by all
),

assets as (
    select
        as_of_date,
        asset_id,
        asset_class,
        lifecycle_state,
        seen_in_window,
        last_seen_at
    from {{ snapshot_ref('int_asset_governance') }}
),

matching as (
    select
        as_of_date,
        record_id,
        asset_id
    from {{ snapshot_ref('int_asset_matching') }}
),

disc as (
    select * from {{ snapshot_ref('int_discovery_devices') }}
),

-- Export feeds: per (landing source, entity) delivered up to the date, the newest export.
export_feeds as (
    select
        d.as_of_date,
        l.source,
        l.entity,
        cast(max(l.export_date) as timestamp) as last_seen,
        w.stale_days,
        'export_stale_window_days.' || l.source as rule
    from {{ snapshot_dates() }} as d
    inner join {{ ref('stg_audit__loads') }} as l on l.status = 'loaded' and d.as_of_date >= l.export_date
    inner join {{ ref('stg_taxonomy__export_stale_windows') }} as w on l.source = w.source
    group by d.as_of_date, l.source, l.entity, w.stale_days
),

export_silent as (
    select
        as_of_date,
        source,
        entity,
        greatest({{ days_between("cast(last_seen as date)", "as_of_date") }}, 0) > stale_days as silent
    from export_feeds
),

-- Discovery feeds: per discovery source, its newest sighting up to the date.
discovery_feeds as (
    select
        d.as_of_date,
        d.discovery_source as source,
        max(d.last_seen_at) as last_seen,
        w.stale_days,
        w.rule
    from disc as d
    inner join source_windows as w on d.discovery_source = w.source
    group by d.as_of_date, d.discovery_source, w.stale_days, w.rule
),

discovery_silent as (
    select
        as_of_date,
        source,
        greatest({{ days_between("cast(last_seen as date)", "as_of_date") }}, 0) > stale_days as silent
    from discovery_feeds
),

devices_export as (
    select
        as_of_date,
        silent
    from export_silent
    where source = 'discovery' and entity = 'devices'
),

cmdb_export as (
    select
        as_of_date,
        silent
    from export_silent
    where source = 'cmdb' and entity = 'configuration_items'
),

-- Per asset, the discovery sources that ever saw it, and whether all of them went silent.
seen_by as (
    select distinct
        m.as_of_date,
        m.asset_id,
        a.asset_class,
        d.discovery_source
    from disc as d
    inner join matching as m on d.as_of_date = m.as_of_date and d.record_id = m.record_id
    left join assets as a on m.as_of_date = a.as_of_date and m.asset_id = a.asset_id
),

asset_sources as (
    select
        b.as_of_date,
        b.asset_id,
        bool_and(coalesce(s.silent, false)) as all_silent,
        {{ string_agg("b.discovery_source", "','", "b.discovery_source") }} as sources
    from seen_by as b
    left join discovery_silent as s on b.as_of_date = s.as_of_date and b.discovery_source = s.source
    group by all
),

-- For an asset no source ever saw: the sources that see its class. When all of them are silent
-- (new network gear while the only network scan is down), the silence explains it.
class_sources as (
    select
        b.as_of_date,
        b.asset_class,
        bool_and(coalesce(s.silent, false)) as all_silent,
        {{ string_agg("b.discovery_source", "','", "b.discovery_source", distinct=true) }} as sources
    from seen_by as b
    left join discovery_silent as s on b.as_of_date = s.as_of_date and b.discovery_source = s.source
    where b.asset_class is not null
    group by all
),

device_records as (
    select
        d.as_of_date,
        'record' as record_kind,
        d.discovery_source as source,
        'devices' as entity,
        -- the device key discovery records are folded on (int_discovery_devices), spelled out
        case left(substr(d.record_id, length(d.discovery_source) + 7), 2)
            when 's:' then 'serial:' when 'c:' then 'cloud:' when 'h:' then 'host:' when 'm:' then 'mac:'
        end || substr(d.record_id, length(d.discovery_source) + 9) as record_key,
        coalesce(d.hostname, d.serial_norm, d.cloud_id_norm, d.mac_norm) as record_name,
        m.asset_id,
        a.asset_class,
        a.lifecycle_state,
        d.last_seen_at as last_seen_or_updated_at,
        cast(null as timestamp) as last_discovered_at,
        coalesce(cw.stale_days, sw.stale_days) as threshold_days,
        coalesce(cw.rule, sw.rule) as threshold_rule,
        coalesce(a.lifecycle_state, '') not in ('retired', 'disposed') as expected_current,
        false as not_discovered,
        coalesce(fs.silent, false) as feed_silent,
        coalesce(de.silent, false) as export_silent,
        false as discovery_all_silent,
        cast(null as string) as discovery_sources
    from disc as d
    left join matching as m on d.as_of_date = m.as_of_date and d.record_id = m.record_id
    left join assets as a on d.as_of_date = a.as_of_date and m.asset_id = a.asset_id
    left join source_windows as sw on d.discovery_source = sw.source
    left join class_windows as cw on d.discovery_source = cw.source and a.asset_class = cw.class_id
    left join discovery_silent as fs on d.as_of_date = fs.as_of_date and d.discovery_source = fs.source
    left join devices_export as de on d.as_of_date = de.as_of_date
),

ci_records as (
    select
        c.as_of_date,
        'record' as record_kind,
        'cmdb' as source,
        'configuration_items' as entity,
        c.ci_id as record_key,
        c.name as record_name,
        m.asset_id,
        a.asset_class,
        c.lifecycle_state,
        c.updated_at as last_seen_or_updated_at,
        a.last_seen_at as last_discovered_at,
        coalesce(cw.stale_days, sw.stale_days) as threshold_days,
        coalesce(cw.rule, sw.rule) as threshold_rule,
        coalesce(c.lifecycle_state, '') not in ('retired', 'disposed') as expected_current,
        -- in use, but no discovery source saw it within its window (a ghost CI)
        c.lifecycle_state = 'in_use' and not coalesce(a.seen_in_window, false) as not_discovered,
        false as feed_silent,
        coalesce(ce.silent, false) as export_silent,
        coalesce(src.all_silent, cls.all_silent, false) as discovery_all_silent,
        coalesce(src.sources, cls.sources) as discovery_sources
    from {{ snapshot_ref('int_cmdb_ci_snapshot') }} as c
    left join matching as m on c.as_of_date = m.as_of_date and m.record_id = 'cmdb:' || c.ci_id
    left join assets as a on c.as_of_date = a.as_of_date and m.asset_id = a.asset_id
    left join source_windows as sw on sw.source = 'cmdb'
    left join class_windows as cw on cw.source = 'cmdb' and a.asset_class = cw.class_id
    left join cmdb_export as ce on c.as_of_date = ce.as_of_date
    left join asset_sources as src on c.as_of_date = src.as_of_date and m.asset_id = src.asset_id
    left join class_sources
        as cls on src.asset_id is null and c.as_of_date = cls.as_of_date
    and a.asset_class = cls.asset_class
),

records as (
    select
        *,
        greatest({{ days_between("cast(last_seen_or_updated_at as date)", "as_of_date") }}, 0) as age_days
    from (
        select * from device_records
        union all
        select * from ci_records
    )
),

judged_records as (
    select
        *,
        expected_current and age_days > threshold_days as not_updated
    from records
),

feeds as (
    select
        f.as_of_date,
        'feed' as record_kind,
        f.source,
        'devices' as entity,
        f.source as record_key,
        'discovery source ' || f.source as record_name,
        f.last_seen as last_seen_or_updated_at,
        f.stale_days as threshold_days,
        f.rule as threshold_rule,
        coalesce(de.silent, false) as covered,
        case when coalesce(de.silent, false) then 'discovery/devices' end as covered_by
    from discovery_feeds as f
    left join devices_export as de on f.as_of_date = de.as_of_date
    union all
    select
        as_of_date,
        'feed',
        source,
        entity,
        source || '/' || entity,
        source || '/' || entity || ' exports',
        last_seen,
        stale_days,
        rule,
        false,
        null
    from export_feeds
)

select
    as_of_date,
    record_kind,
    source,
    entity,
    record_key,
    record_name,
    asset_id,
    asset_class,
    lifecycle_state,
    last_seen_or_updated_at,
    cast(age_days as integer) as age_days,
    cast(threshold_days as integer) as threshold_days,
    threshold_rule,
    expected_current,
    last_discovered_at,
    not_updated or not_discovered as is_stale,
    case
        when not_updated and not_discovered then 'not_updated,not_discovered'
        when not_updated then case when source = 'cmdb' then 'not_updated' else 'not_seen' end
        when not_discovered then 'not_discovered'
    end as stale_reason,
    -- the silent feed that explains a stale record that is no finding of its own
    case
        when not (not_updated or not_discovered) or is_finding then null
        when source = 'cmdb'
            then nullif(concat_ws(
                ',',
                case when not_updated and export_silent then 'cmdb/configuration_items' end,
                case when not_discovered and discovery_all_silent then discovery_sources end
            ), '')
        when export_silent then 'discovery/devices'
        when feed_silent then source
    end as silent_feed,
    is_finding
from (
    select
        r.*,
        case
            when r.source = 'cmdb'
                then
                    (r.not_updated and not r.export_silent)
                    or (r.not_discovered and not r.discovery_all_silent)
            else r.not_updated and not r.export_silent and not r.feed_silent
        end as is_finding
    from judged_records as r
)

union all

select
    as_of_date,
    record_kind,
    source,
    entity,
    record_key,
    record_name,
    cast(null as string) as asset_id,
    cast(null as string) as asset_class,
    cast(null as string) as lifecycle_state,
    last_seen_or_updated_at,
    cast(greatest({{ days_between("cast(last_seen_or_updated_at as date)", "as_of_date") }}, 0) as integer) as age_days,
    cast(threshold_days as integer) as threshold_days,
    threshold_rule,
    true as expected_current,
    cast(null as timestamp) as last_discovered_at,
    greatest({{ days_between("cast(last_seen_or_updated_at as date)", "as_of_date") }}, 0) > threshold_days as is_stale,
    case
        when greatest({{ days_between("cast(last_seen_or_updated_at as date)", "as_of_date") }}, 0) > threshold_days
            then 'silent'
    end as stale_reason,
    covered_by as silent_feed,
    greatest({{ days_between("cast(last_seen_or_updated_at as date)", "as_of_date") }}, 0) > threshold_days
    and not covered as is_finding
from feeds
