-- cmdb/configuration_items: renaming and typing only (typing happened at ingestion).
select
    ci_id,
    ci_class,
    name,
    status,
    updated_at,
    serial_number,
    asset_tag,
    assigned_user_email,
    owner_group,
    location,
    cost_center,
    business_service,
    manufacturer,
    model,
    warranty_end,
    eol_date,
    -- Columns the contract does not name (e.g. retirement evidence such as sanitisation_date).
    _extra as extra_fields,
    _source as source_system,
    _export_date as export_date,
    _file as source_file,
    _row_number as source_row_number,
    _load_id as load_id
from {{ source('raw', 'configuration_items') }}
