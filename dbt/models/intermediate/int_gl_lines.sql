-- GL lines known at each snapshot date (finance/gl_lines: full extracts or deltas, the latest
-- version of a journal line winning), in the reporting currency at the policy rate of the line's
-- period, rounded to the cent per line. A missing rate leaves fx_rate NULL and fails the build
-- (tests/assert_fx_rate_for_every_amount.sql). Positive = cost (debit), negative = credit.
with gl as (
    {{ latest_records('stg_finance__gl_lines', 'r.journal_id, r.line_no') }}
)

select
    g.as_of_date,
    g.period,
    g.journal_id,
    g.line_no,
    g.gl_account,
    g.account_category,
    trim(g.cost_center) as cost_center,
    g.amount,
    upper(trim(g.currency)) as currency,
    g.vendor,
    g.po_number,
    g.description,
    g.export_date,
    g.source_file,
    g.load_id,
    fx.rate as fx_rate,
    cast(round(g.amount * fx.rate, 2) as decimal(18, 2)) as amount_rc,
    {{ to_cents('g.amount * fx.rate') }} as amount_cents
from gl as g
left join {{ ref('int_fx_rates') }} as fx
    on
        fx.currency = upper(trim(g.currency))
        and g.period >= fx.from_period
        and g.period < fx.to_period
