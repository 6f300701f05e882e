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
    -- Core count is not a contract column; native mappings (e.g. GLPI) deliver it as an extra.
    try_cast(json_extract_string(_extra, '$.cores') as integer) as cores,
    -- The processor (model or family), for license core factors (issue 13).
    nullif(trim(coalesce(json_extract_string(_extra, '$.processor'), json_extract_string(_extra, '$.cpu'),
                         json_extract_string(_extra, '$.cpu_model'))), '') as processor,
    _source as source_system,
    _export_date as export_date,
    _file as source_file,
    _row_number as source_row_number,
    _load_id as load_id
from {{ source('raw', 'devices') }}
