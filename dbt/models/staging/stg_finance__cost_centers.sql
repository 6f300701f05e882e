-- finance/cost_centers: renaming and typing only (typing happened at ingestion).
select
    cost_center,
    name,
    department,
    owner_email,
    parent_cost_center,
    _source as source_system,
    _export_date as export_date,
    _file as source_file,
    _row_number as source_row_number,
    _load_id as load_id
from {{ source('raw', 'cost_centers') }}
