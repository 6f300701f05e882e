-- The CMDB as of each snapshot date: its latest export on or before that date (a CMDB export is
-- a full extract, so a CI missing from it is gone from the CMDB). Normalised keys added.
with cmdb_exports as (
    select distinct export_date from {{ ref('stg_cmdb__configuration_items') }}
),

latest as (
    select
        d.as_of_date,
        max(e.export_date) as export_date
    from {{ snapshot_dates() }} as d
    inner join cmdb_exports as e on d.as_of_date >= e.export_date
    group by d.as_of_date
)

select
    l.as_of_date,
    c.*,
    {{ normalise_serial('c.serial_number') }} as serial_norm,
    {{ normalise_tag('c.asset_tag') }} as tag_norm,
    {{ normalise_hostname('c.name') }} as hostname_norm,
    {{ normalise_email('c.assigned_user_email') }} as assigned_user_norm,
    coalesce(sm.state, lower(trim(c.status))) as lifecycle_state
from latest as l
inner join {{ ref('stg_cmdb__configuration_items') }} as c on l.export_date = c.export_date
left join {{ ref('stg_taxonomy__status_map') }} as sm
    on sm.source_system = 'cmdb' and sm.source_status = lower(trim(c.status))
qualify row_number() over (
    partition by l.as_of_date, c.ci_id
    order by c.source_row_number desc
) = 1
