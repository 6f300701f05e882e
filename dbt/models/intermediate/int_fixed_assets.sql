-- The fixed-asset register at each snapshot date, with normalised keys and reporting-currency cost.
with fa as (
    {{ latest_records('stg_finance__fixed_assets', 'r.asset_tag') }}
)

select
    f.*,
    {{ normalise_serial('f.serial_number') }} as serial_norm,
    {{ normalise_tag('f.asset_tag') }} as tag_norm,
    fx.rate as fx_rate,
    cast(round(f.acquisition_cost * fx.rate, 2) as decimal(18, 2)) as acquisition_cost_rc
from fa as f
left join {{ ref('int_fx_rates') }} as fx
    on
        fx.currency = upper(trim(f.currency))
        and {{ format_date("f.in_service_date", "%Y-%m") }} >= fx.from_period
        and {{ format_date("f.in_service_date", "%Y-%m") }} < fx.to_period
