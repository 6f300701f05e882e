-- finance/gl_lines: renaming and typing only (typing happened at ingestion).
select
    period,
    journal_id,
    line_no,
    gl_account,
    account_category,
    cost_center,
    amount,
    currency,
    vendor,
    po_number,
    description,
    _source as source_system,
    _export_date as export_date,
    _file as source_file,
    _row_number as source_row_number,
    _load_id as load_id
from {{ source('raw', 'gl_lines') }}
