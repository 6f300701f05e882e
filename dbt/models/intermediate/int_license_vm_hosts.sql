-- Which device each virtual machine runs on, per snapshot date (issue 13): the CMDB relationships
-- of the latest ci_relationships export up to the date (each export is the full picture) whose
-- type taxonomy/licensing.yaml declares as "VM runs on host" (vm_host_relationships, with the
-- side that is the host), with both CIs resolved to matched devices (int_asset_matching); for a
-- VM the CMDB does not relate, the host its latest discovery inventory names (devices.runs_on,
-- e.g. GLPI's virtual machine list), resolved by serial, else hostname.
with latest_export as (
    select
        d.as_of_date,
        max(r.export_date) as export_date
    from {{ snapshot_dates() }} as d
    inner join {{ ref('stg_cmdb__ci_relationships') }} as r on d.as_of_date >= r.export_date
    group by all
),

rel as (
    select
        l.as_of_date,
        case t.host_side when 'child' then r.parent_ci_id else r.child_ci_id end as vm_ci_id,
        case t.host_side when 'child' then r.child_ci_id else r.parent_ci_id end as host_ci_id,
        r.relationship_type
    from latest_export as l
    inner join {{ ref('stg_cmdb__ci_relationships') }} as r on l.export_date = r.export_date
    inner join {{ ref('stg_taxonomy__vm_host_relationships') }} as t
        on lower(trim(t.relationship_type)) = lower(trim(r.relationship_type))
),

records as (
    select distinct
        as_of_date,
        record_id,
        asset_id
    from {{ snapshot_ref('int_asset_matching') }}
    where record_id like 'cmdb:%'
),

cmdb_pairs as (
    select
        r.as_of_date,
        v.asset_id as vm_asset_id,
        h.asset_id as host_asset_id,
        r.relationship_type
    from rel as r
    inner join records as v on r.as_of_date = v.as_of_date and v.record_id = 'cmdb:' || r.vm_ci_id
    inner join records as h on r.as_of_date = h.as_of_date and h.record_id = 'cmdb:' || r.host_ci_id
),

discovered as (
    select
        d.as_of_date,
        {{ normalise_serial('v.serial_number') }} as vm_serial,
        {{ normalise_hostname('v.hostname') }} as vm_hostname,
        {{ normalise_serial('v.runs_on') }} as host_serial,
        {{ normalise_hostname('v.runs_on') }} as host_hostname
    from {{ snapshot_dates() }} as d
    inner join {{ ref('stg_discovery__devices') }} as v
        on d.as_of_date >= v.export_date and v.observed_at < d.as_of_date + interval 1 day
    where v.runs_on is not null
    qualify row_number() over (
        partition by
            d.as_of_date, coalesce({{ normalise_serial('v.serial_number') }}, {{ normalise_hostname('v.hostname') }})
        order by v.observed_at desc
    ) = 1
),

by_serial as (
    select distinct
        as_of_date,
        serial_norm,
        asset_id
    from {{ snapshot_ref('int_asset_matching') }}
    where serial_norm is not null
),

by_host as (
    select
        as_of_date,
        hostname_norm,
        max_by(asset_id, seen_at) as asset_id
    from {{ snapshot_ref('int_asset_matching') }}
    where hostname_norm is not null and in_window
    group by all
),

discovery_pairs as (
    select
        x.as_of_date,
        coalesce(vs.asset_id, vh.asset_id) as vm_asset_id,
        coalesce(hs.asset_id, hh.asset_id) as host_asset_id,
        'discovery runs_on' as relationship_type
    from discovered as x
    left join by_serial as vs on x.as_of_date = vs.as_of_date and x.vm_serial = vs.serial_norm
    left join by_host as vh on x.as_of_date = vh.as_of_date and x.vm_hostname = vh.hostname_norm
    left join by_serial as hs on x.as_of_date = hs.as_of_date and x.host_serial = hs.serial_norm
    left join by_host as hh on x.as_of_date = hh.as_of_date and x.host_hostname = hh.hostname_norm
),

pairs as (
    select * from cmdb_pairs
    union all
    select d.* from discovery_pairs as d
    where
        d.vm_asset_id is not null and d.host_asset_id is not null
        and not exists (
            select 1 from cmdb_pairs as c
            where c.as_of_date = d.as_of_date and c.vm_asset_id = d.vm_asset_id
        )
)

select
    r.as_of_date,
    r.vm_asset_id,
    -- A VM related to several hosts (a stale relationship beside the current one) keeps one, the
    -- smallest id, so the result does not depend on row order.
    min(r.host_asset_id) as host_asset_id,
    count(distinct r.host_asset_id) as hosts_seen,
    min(r.relationship_type) as relationship_type
from pairs as r
where r.vm_asset_id <> r.host_asset_id
group by all
