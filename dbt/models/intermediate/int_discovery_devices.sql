-- Discovered devices per snapshot date: every observation up to the date, folded into one record
-- per discovery source and device (serial, else cloud instance, else hostname, else MAC), with
-- the latest non-empty value of each attribute and first/last seen times.
with obs as (
    select
        d.as_of_date,
        o.*,
        {{ normalise_serial('o.serial_number') }} as serial_norm,
        {{ normalise_hostname('o.hostname') }} as hostname_norm,
        {{ normalise_mac('o.mac_address') }} as mac_norm,
        nullif(lower(trim(o.cloud_instance_id)), '') as cloud_id_norm,
        {{ normalise_email('o.last_logged_on_user') }} as last_user_norm
    from {{ snapshot_dates() }} as d
    inner join {{ ref('stg_discovery__devices') }} as o
        on
            d.as_of_date >= o.export_date
            and o.observed_at < d.as_of_date + interval 1 day
),

keyed as (
    select
        *,
        coalesce('s:' || serial_norm, 'c:' || cloud_id_norm, 'h:' || hostname_norm, 'm:' || mac_norm) as device_key,
        {{ normalise_serial('runs_on') }} as runs_on_norm
    from obs
),

-- Partial inventories (issue 14.3) carry only what changed: one that does not list the host's
-- virtual machines confirms the list unchanged, so the VMs of the host's latest inventory that
-- listed them count as seen at that time too (keyed like runs_on: serial, else hostname).
vm_lists as (
    select
        as_of_date,
        runs_on_norm,
        max(observed_at) as listed_at
    from keyed
    where runs_on_norm is not null
    group by all
),

vm_confirmations as (
    select
        as_of_date,
        host_norm,
        max(observed_at) as confirmed_at
    from (
        select
            as_of_date,
            serial_norm as host_norm,
            observed_at
        from keyed
        where is_partial and vm_count is null and runs_on is null and serial_norm is not null
        union all
        select
            as_of_date,
            {{ normalise_serial('hostname') }},
            observed_at
        from keyed
        where is_partial and vm_count is null and runs_on is null
    )
    where host_norm is not null
    group by all
),

devices as (
    select
        as_of_date,
        'disc:' || discovery_source || ':' || device_key as record_id,
        discovery_source,
        max(observed_at) as last_seen_at,
        min(observed_at) as first_seen_at,
        count(*) as observations,
        max_by(serial_norm, observed_at) filter (where serial_norm is not null) as serial_norm,
        max_by(hostname_norm, observed_at) filter (where hostname_norm is not null) as hostname_norm,
        max_by(hostname, observed_at) filter (where hostname is not null) as hostname,
        max_by(mac_norm, observed_at) filter (where mac_norm is not null) as mac_norm,
        max_by(cloud_id_norm, observed_at) filter (where cloud_id_norm is not null) as cloud_id_norm,
        max_by(cloud_account, observed_at) filter (where cloud_account is not null) as cloud_account,
        max_by(ip_address, observed_at) filter (where ip_address is not null) as ip_address,
        max_by(manufacturer, observed_at) filter (where manufacturer is not null) as manufacturer,
        max_by(model, observed_at) filter (where model is not null) as model,
        max_by(os_name, observed_at) filter (where os_name is not null) as os_name,
        max_by(os_version, observed_at) filter (where os_version is not null) as os_version,
        max_by(last_user_norm, observed_at) filter (where last_user_norm is not null) as last_user_norm,
        max_by(cores, observed_at) filter (where cores is not null) as cores,
        -- A partial inventory leaves what it does not carry blank, so the last value seen stays.
        max_by(device_type, observed_at) filter (where device_type is not null) as device_type,
        max_by(chassis_type, observed_at) filter (where chassis_type is not null) as chassis_type,
        max_by(sockets, observed_at) filter (where sockets is not null) as sockets,
        max_by(memory_mb, observed_at) filter (where memory_mb is not null) as memory_mb,
        max_by(firmware, observed_at) filter (where firmware is not null) as firmware,
        max_by(uuid, observed_at) filter (where uuid is not null) as uuid,
        max_by(runs_on_norm, observed_at) filter (where runs_on_norm is not null) as runs_on_norm,
        max_by(processor, observed_at) filter (where processor is not null) as processor
    from keyed
    where device_key is not null
    group by as_of_date, discovery_source, device_key
)

select
    d.* {{ star_exclude() }} (last_seen_at, runs_on_norm),
    case
        when d.last_seen_at = l.listed_at and c.confirmed_at > d.last_seen_at then c.confirmed_at
        else d.last_seen_at
    end as last_seen_at
from devices as d
left join vm_lists as l on d.as_of_date = l.as_of_date and d.runs_on_norm = l.runs_on_norm
left join vm_confirmations as c on d.as_of_date = c.as_of_date and d.runs_on_norm = c.host_norm
