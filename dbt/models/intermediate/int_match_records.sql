-- Every device-like record of the four sources per snapshot date, with the keys matching uses:
-- CMDB CIs, discovered devices, serialised hardware purchase lines and fixed assets.
-- `in_window` says whether the record is current enough to lend its hostname/MAC to matching:
-- discovery records seen within their source's stale window; all others are current snapshots.
with stale as (
    select
        discovery_source,
        stale_days
    from {{ ref('stg_taxonomy__stale_windows') }}
)

select
    as_of_date,
    'cmdb:' || ci_id as record_id,
    'cmdb' as record_source,
    serial_norm,
    tag_norm,
    hostname_norm,
    cast(null as string) as mac_norm,
    cast(null as string) as cloud_id_norm,
    updated_at as seen_at,
    true as in_window
from {{ snapshot_ref('int_cmdb_ci_snapshot') }}

union all

select
    d.as_of_date,
    d.record_id,
    'discovery',
    d.serial_norm,
    cast(null as string),
    d.hostname_norm,
    d.mac_norm,
    d.cloud_id_norm,
    d.last_seen_at,
    d.last_seen_at >= d.as_of_date - {{ days_interval("cast(s.stale_days as integer)") }}
from {{ snapshot_ref('int_discovery_devices') }} as d
left join stale as s on d.discovery_source = s.discovery_source

union all

-- Hardware bought without a serial or an asset tag cannot be told apart unit by unit: it is
-- counted in data quality, not matched (docs/decisions/matching.md). The asset tag (Snipe-IT's
-- purchase data sits on the asset row) is the second key, in marts.md's order.
select
    as_of_date,
    match_record_id,
    'procurement',
    serial_norm,
    tag_norm,
    cast(null as string),
    cast(null as string),
    cast(null as string),
    cast(order_date as timestamp),
    true
from {{ snapshot_ref('int_purchase_lines') }}
where category = 'hardware' and (serial_norm is not null or tag_norm is not null)

union all

select
    as_of_date,
    'fa:' || asset_tag,
    'fixed_assets',
    serial_norm,
    tag_norm,
    cast(null as string),
    cast(null as string),
    cast(null as string),
    cast(in_service_date as timestamp),
    true
from {{ snapshot_ref('int_fixed_assets') }}
