-- Purchase lines known at each snapshot date, with normalised keys and reporting-currency cost.
with lines as (
    {{ latest_records('stg_procurement__purchase_lines',
        "r.po_number, r.po_line, coalesce(" ~ normalise_serial('r.serial_number') ~ ", '')") }}
)

select
    l.*,
    {{ normalise_serial('l.serial_number') }} as serial_norm,
    {{ normalise_tag('l.asset_tag') }} as tag_norm,
    -- The line's record in matching (int_match_records): hardware with a serial or an asset tag.
    'po:'
    || l.po_number
    || '/'
    || l.po_line
    || '/'
    || coalesce({{ normalise_serial('l.serial_number') }}, '') as match_record_id,
    {{ normalise_name('l.vendor') }} as vendor_norm,
    {{ format_date("l.order_date", "%Y-%m") }} as order_period,
    fx.rate as fx_rate,
    cast(round(cast(l.unit_cost as decimal(38, 4)) * fx.rate, 2) as decimal(18, 2)) as unit_cost_rc,
    cast(
        round(cast(l.unit_cost as decimal(38, 4)) * cast(l.quantity as decimal(38, 4)) * fx.rate, 2) as decimal(18, 2)
    ) as line_cost_rc
from lines as l
left join {{ ref('int_fx_rates') }} as fx
    on
        fx.currency = upper(trim(l.currency))
        and {{ format_date("l.order_date", "%Y-%m") }} >= fx.from_period
        and {{ format_date("l.order_date", "%Y-%m") }} < fx.to_period
