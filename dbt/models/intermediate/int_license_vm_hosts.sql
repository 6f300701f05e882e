-- Which device each virtual machine runs on, per snapshot date (issue 13): the CMDB relationships
-- of the latest ci_relationships export up to the date (each export is the full picture) whose
-- type taxonomy/licensing.yaml declares as "VM runs on host" (vm_host_relationships, with the
-- side that is the host), with both CIs resolved to matched devices (int_asset_matching).
with latest_export as (
    select d.as_of_date, max(r.export_date) as export_date
    from {{ ref('int_as_of_dates') }} d
    join {{ ref('stg_cmdb__ci_relationships') }} r on r.export_date <= d.as_of_date
    group by all
),
rel as (
    select
        l.as_of_date,
        case t.host_side when 'child' then r.parent_ci_id else r.child_ci_id end as vm_ci_id,
        case t.host_side when 'child' then r.child_ci_id else r.parent_ci_id end as host_ci_id,
        r.relationship_type
    from latest_export l
    join {{ ref('stg_cmdb__ci_relationships') }} r on r.export_date = l.export_date
    join {{ ref('stg_taxonomy__vm_host_relationships') }} t
        on lower(trim(t.relationship_type)) = lower(trim(r.relationship_type))
),
records as (
    select distinct as_of_date, record_id, asset_id from {{ ref('int_asset_matching') }}
    where record_id like 'cmdb:%'
)
select
    r.as_of_date,
    v.asset_id as vm_asset_id,
    -- A VM related to several hosts (a stale relationship beside the current one) keeps one, the
    -- smallest id, so the result does not depend on row order.
    min(h.asset_id) as host_asset_id,
    count(distinct h.asset_id) as hosts_seen,
    min(r.relationship_type) as relationship_type
from rel r
join records v on v.as_of_date = r.as_of_date and v.record_id = 'cmdb:' || r.vm_ci_id
join records h on h.as_of_date = r.as_of_date and h.record_id = 'cmdb:' || r.host_ci_id
where v.asset_id <> h.asset_id
group by all
