-- cmdb/ci_relationships: renaming and typing only (typing happened at ingestion).
select
    parent_ci_id,
    child_ci_id,
    relationship_type,
    updated_at,
    _source as source_system,
    _export_date as export_date,
    _file as source_file,
    _row_number as source_row_number,
    _load_id as load_id
from {{ source('raw', 'ci_relationships') }}
