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
    -- Annual support/maintenance fee of a perpetual license, % of its price (issue 13; optional).
    try_cast(
        coalesce({{ json_text("_extra", "'$.maintenance_pct'") }}, {{ json_text("_extra", "'$.support_pct'") }})
        as decimal(9, 4)
    ) as maintenance_pct,
    _source as source_system,
    _export_date as export_date,
    _file as source_file,
    _row_number as source_row_number,
    _load_id as load_id
from {{ source('raw', 'license_entitlements') }}
