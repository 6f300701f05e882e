-- FX rates to the reporting currency as month ranges [from_period, to_period).
-- Policy fx_before_first_rate (taxonomy/policies.yaml, issue 14): with `use_first` a currency's
-- first rate also covers every month before it (from_period '0000-01'); with `fail` (the
-- default) such amounts have no rate and assert_fx_rate_for_every_amount fails the build naming
-- the currency and the earliest month needed. declared_from_period keeps the month as written.
with pol as (
    select fx_before_first_rate from {{ ref('int_policy') }}
),

rates as (
    select
        upper(currency) as currency,
        from_period,
        lead(from_period, 1, '9999-12') over (
            partition by upper(currency)
            order by from_period
        ) as to_period,
        row_number() over (
            partition by upper(currency)
            order by from_period
        ) = 1 as is_first,
        -- 38 digits so that amount × rate (scale 4 + 8) cannot overflow for amounts above ~1M.
        cast(rate as decimal(38, 8)) as rate
    from {{ ref('stg_taxonomy__fx_rates') }}
)

select
    r.currency,
    case when r.is_first and p.fx_before_first_rate = 'use_first' then '0000-01' else r.from_period end as from_period,
    r.to_period,
    r.rate,
    r.from_period as declared_from_period
from rates as r
cross join pol as p
