-- discovery/devices: renaming and typing only (typing happened at ingestion).
select
    observed_at,
    discovery_source,
    hostname,
    serial_number,
    mac_address,
    ip_address,
    manufacturer,
    model,
    os_name,
    os_version,
    last_logged_on_user,
    cloud_instance_id,
    cloud_account,
    -- Optional contract columns inventory agents fill (issue 14.3); cores was an extra before.
    coalesce(cores, try_cast({{ json_text("_extra", "'$.cores'") }} as integer)) as cores,
    device_type,
    chassis_type,
    sockets,
    memory_mb,
    firmware,
    uuid,
    coalesce(is_partial, false) as is_partial,
    runs_on,
    -- How many packages / VMs the inventory listed (GLPI extras); NULL = section not carried.
    try_cast({{ json_text("_extra", "'$.software_count'") }} as integer) as software_count,
    try_cast({{ json_text("_extra", "'$.vm_count'") }} as integer) as vm_count,
    -- The processor (model or family), for license core factors (issue 13).
    nullif(trim(coalesce(
        {{ json_text("_extra", "'$.processor'") }}, {{ json_text("_extra", "'$.cpu'") }},
        {{ json_text("_extra", "'$.cpu_model'") }}
    )), '') as processor,
    _source as source_system,
    _export_date as export_date,
    _file as source_file,
    _row_number as source_row_number,
    _load_id as load_id
from {{ source('raw', 'devices') }}
