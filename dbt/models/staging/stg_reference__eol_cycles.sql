-- reference/eol_cycles: renaming and typing only (typing happened at ingestion).
select
    product,
    cycle,
    release_date,
    eol_date,
    eol_flag,
    support_end_date,
    latest,
    lts,
    extended_support_date,
    _source as source_system,
    _export_date as export_date,
    _file as source_file,
    _row_number as source_row_number,
    _load_id as load_id
from {{ source('raw', 'eol_cycles') }}
