-- procurement/license_entitlements: renaming and typing only (typing happened at ingestion).
select
    entitlement_id,
    publisher,
    product,
    license_metric,
    quantity,
    unit_cost,
    currency,
    purchase_date,
    cost_center,
    contract_id,
    term_start,
    term_end,
    maintenance_end,
    version_rights,
    _source as source_system,
    _export_date as export_date,
    _file as source_file,
    _row_number as source_row_number,
    _load_id as load_id
from {{ source('raw', 'license_entitlements') }}
