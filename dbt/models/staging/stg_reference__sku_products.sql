-- reference/sku_products: renaming and typing only (typing happened at ingestion).
select
    publisher,
    sku_id,
    product_name,
    sku_string_id,
    service_plan_name,
    service_plan_id,
    _source as source_system,
    _export_date as export_date,
    _file as source_file,
    _row_number as source_row_number,
    _load_id as load_id
from {{ source('raw', 'sku_products') }}
