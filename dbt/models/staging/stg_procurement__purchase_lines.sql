-- procurement/purchase_lines: renaming and typing only (typing happened at ingestion).
select
    po_number,
    po_line,
    order_date,
    vendor,
    category,
    description,
    quantity,
    unit_cost,
    currency,
    cost_center,
    manufacturer,
    model,
    serial_number,
    contract_id,
    requester_email,
    asset_tag,
    _source as source_system,
    _export_date as export_date,
    _file as source_file,
    _row_number as source_row_number,
    _load_id as load_id
from {{ source('raw', 'purchase_lines') }}
