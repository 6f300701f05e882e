-- The estate's governance KPIs per snapshot date with the previous snapshot's value beside it
-- (snapshots are the quarter-end exports, so "prior" is the prior quarter): the sums of
-- fct_governance_kpis over all its rows, so no KPI is defined twice. Direction says which way is
-- good; a change smaller than policy.kpi_materiality_pct of the prior value is flat.
with dates as (
    select
        as_of_date,
        lag(as_of_date) over (
            order by as_of_date
        ) as prior_as_of_date
    from {{ ref('int_as_of_dates') }}
),

kpis as (
    select distinct
        kpi,
        label,
        unit,
        currency,
        better,
        breakdown,
        is_headline,
        sort_order
    from {{ ref('fct_governance_kpis') }}
),

totals as (
    select
        kpi,
        as_of_date,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from {{ ref('fct_governance_kpis') }}
    group by all
),

-- Every KPI on every snapshot date: a count or amount with nothing to count is 0; a percentage
-- with nothing to measure is NULL (no devices seen, no rows checked).
valued as (
    select
        d.as_of_date,
        d.prior_as_of_date,
        k.*,
        cast(case
            when k.unit = 'pct' then round(100.0 * t.numerator / nullif(t.denominator, 0), 2)
            else coalesce(t.numerator, 0)
        end as decimal(18, 2)) as value
    from dates as d
    cross join kpis as k
    left join totals as t on k.kpi = t.kpi and d.as_of_date = t.as_of_date
),

-- The last signed quarter in words, shown beside the signed_quarters count.
last_signed as (
    select
        as_of_date,
        'signed_quarters' as kpi,
        quarter || ' signed by ' || signed_by || ' on ' || {{ format_date("signed_at", "%Y-%m-%d") }} as value_text
    from {{ ref('fct_signoffs') }}
    where is_last_signed_quarter and is_latest_signoff
),

compared as (
    select
        v.*,
        p.value as prior_value
    from valued as v
    left join valued as p on v.kpi = p.kpi and v.prior_as_of_date = p.as_of_date
)

select
    *,
    case
        when trend in ('new', 'flat') or better = 'neutral' then 'neutral'
        when (trend = 'up') = (better = 'higher') then 'improved'
        else 'worsened'
    end as assessment
from (
    select
        c.kpi,
        c.as_of_date,
        c.label,
        c.unit,
        c.currency,
        c.better,
        c.breakdown,
        c.is_headline,
        c.value,
        c.prior_as_of_date,
        c.prior_value,
        cast((c.value - c.prior_value) as decimal(18, 2)) as change,
        cast(round(100.0 * (c.value - c.prior_value) / nullif(abs(c.prior_value), 0), 2) as decimal(18, 2))
            as change_pct,
        case
            when c.prior_value is null or c.value is null then 'new'
            when c.value = c.prior_value then 'flat'
            -- From zero any change is material; otherwise compare with the materiality threshold.
            when
                c.prior_value <> 0
                and abs(c.value - c.prior_value) < abs(c.prior_value) * pol.kpi_materiality_pct / 100 then 'flat'
            when c.value > c.prior_value then 'up'
            else 'down'
        end as trend,
        c.sort_order,
        ls.value_text
    from compared as c
    cross join {{ ref('int_policy') }} as pol
    left join last_signed as ls using (as_of_date, kpi)
)
