-- FX rates to the reporting currency as month ranges [from_period, to_period).
select
    upper(currency) as currency,
    from_period,
    lead(from_period, 1, '9999-12') over (partition by upper(currency) order by from_period) as to_period,
    cast(rate as decimal(18, 8)) as rate
from {{ source('taxonomy', 'fx_rates') }}
