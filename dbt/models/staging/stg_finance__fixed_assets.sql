-- finance/fixed_assets: renaming and typing only (typing happened at ingestion).
select
    asset_tag,
    acquisition_cost,
    currency,
    in_service_date,
    useful_life_months,
    cost_center,
    serial_number,
    depreciation_method,
    disposal_date,
    _source as source_system,
    _export_date as export_date,
    _file as source_file,
    _row_number as source_row_number,
    _load_id as load_id
from {{ source('raw', 'fixed_assets') }}
