-- discovery/software_installs: renaming and typing only (typing happened at ingestion).
select
    observed_at,
    discovery_source,
    hostname,
    publisher,
    product,
    serial_number,
    version,
    install_date,
    last_used_at,
    _source as source_system,
    _export_date as export_date,
    _file as source_file,
    _row_number as source_row_number,
    _load_id as load_id
from {{ source('raw', 'software_installs') }}
