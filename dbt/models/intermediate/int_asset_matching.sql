-- Cross-source matching, in the order docs/marts.md fixes: serial number, then asset tag, then
-- hostname (within the as-of window), then MAC. Each pass attaches a record not yet matched to
-- ONE existing cluster (never merging two clusters, so a reused hostname cannot fuse two
-- serial-numbered devices), or founds a cluster of its own keyed by that attribute.
-- The cluster key (anchor) gives the stable asset_id; every record keeps the rule that placed it.
with recs as (
    select * from {{ snapshot_ref('int_match_records') }}
),

-- Pass 1: serial numbers (and cloud instance ids, which are a cloud resource's serial).
p1 as (
    select
        *,
        case
            when serial_norm is not null then 'serial:' || serial_norm
            when cloud_id_norm is not null then 'cloud:' || cloud_id_norm
        end as anchor,
        case
            when serial_norm is not null then 'serial'
            when cloud_id_norm is not null then 'cloud_instance_id'
        end as match_rule
    from recs
),

-- The "not yet matched" condition sits inside the join key (NULL never equals), not as a
-- separate ON predicate: a left-side-only predicate in a LEFT JOIN's ON clause makes DuckDB fall
-- back to a nested-loop join, which never finished at 100,000 devices.

-- Pass 2: asset tag.
tag_index as (
    select
        as_of_date,
        tag_norm,
        min(anchor) as anchor
    from p1
    where anchor is not null and tag_norm is not null
    group by all
),

p2 as (
    select
        p1.* {{ star_exclude() }} (anchor, match_rule),
        coalesce(p1.anchor, t.anchor, 'tag:' || p1.tag_norm) as anchor,
        coalesce(p1.match_rule, case when p1.tag_norm is not null then 'asset_tag' end) as match_rule
    from p1
    left join tag_index as t
        on
            p1.as_of_date = t.as_of_date
            and t.tag_norm = case when p1.anchor is null then p1.tag_norm end
),

-- Pass 3: hostname, only from records current in this snapshot; the most recently seen wins.
-- Attach only: a record that matches nothing yet still gets its chance by MAC.
host_index as (
    select
        as_of_date,
        hostname_norm,
        max_by(anchor, seen_at) as anchor
    from p2
    where anchor is not null and hostname_norm is not null and in_window
    group by all
),

p3 as (
    select
        p2.* {{ star_exclude() }} (anchor, match_rule),
        coalesce(p2.anchor, h.anchor) as anchor,
        coalesce(p2.match_rule, case when h.anchor is not null then 'hostname' end) as match_rule
    from p2
    left join host_index as h
        on
            p2.as_of_date = h.as_of_date
            and h.hostname_norm = case when p2.anchor is null then p2.hostname_norm end
),

-- Pass 4: MAC address; what still matches nothing founds a cluster of its own by hostname
-- (so two unmatched records with one hostname are one asset), else by MAC, else alone.
mac_index as (
    select
        as_of_date,
        mac_norm,
        max_by(anchor, seen_at) as anchor
    from p3
    where anchor is not null and mac_norm is not null and in_window
    group by all
),

p4 as (
    select
        p3.* {{ star_exclude() }} (anchor, match_rule),
        coalesce(
            p3.anchor, m.anchor, 'host:' || p3.hostname_norm, 'mac:' || p3.mac_norm,
            'record:' || p3.record_id
        ) as anchor,
        coalesce(
            p3.match_rule,
            case
                when m.anchor is not null then 'mac'
                when p3.hostname_norm is not null then 'hostname'
                when p3.mac_norm is not null then 'mac'
                else 'unmatched'
            end
        ) as match_rule
    from p3
    left join mac_index as m
        on
            p3.as_of_date = m.as_of_date
            and m.mac_norm = case when p3.anchor is null then p3.mac_norm end
)

select
    as_of_date,
    record_id,
    record_source,
    anchor,
    'AS-' || substr(md5(anchor), 1, 12) as asset_id,
    match_rule,
    serial_norm,
    tag_norm,
    hostname_norm,
    mac_norm,
    cloud_id_norm,
    seen_at,
    in_window
from p4
