-- FX rates to the reporting currency as month ranges [from_period, to_period).
select
    upper(currency) as currency,
    from_period,
    lead(from_period, 1, '9999-12') over (partition by upper(currency) order by from_period) as to_period,
    -- 38 digits so that amount × rate (scale 4 + 8) cannot overflow for amounts above ~1M.
    cast(rate as decimal(38, 8)) as rate
from {{ ref('stg_taxonomy__fx_rates') }}
