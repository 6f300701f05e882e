-- discovery/saas_usage: renaming and typing only (typing happened at ingestion).
select
    observed_at,
    app_name,
    user_email,
    vendor,
    license_assigned,
    last_active_at,
    _source as source_system,
    _export_date as export_date,
    _file as source_file,
    _row_number as source_row_number,
    _load_id as load_id
from {{ source('raw', 'saas_usage') }}
