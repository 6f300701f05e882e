-- How every GL cent reaches a cost center, per snapshot date (docs/marts.md
-- "fct_cost_allocation"; docs/decisions/cost-allocation-drivers.md). One row per cost center ×
-- period × cost category × source cost center:
--   direct       a GL line booked on a cost center that is not shared stays where it was booked
--   allocated    a share of a shared cost center's pool (its GL total of the period and account
--                category), split by the pool's driver, exactly to the cent (largest remainder)
--   spread_out   the shared cost center's own row: booked there, amount 0 (all of it spread)
--   not_spread   the same when no receiving cost center has any of the driver: the pool stays
-- Per period, amount sums to the GL total (tests/assert_cost_allocation_matches_gl.sql).
with gl as (
    select * from {{ ref('int_gl_lines') }}
),

rules as (
    select * from {{ ref('stg_taxonomy__allocation_rules') }}
),

booked as (
    select
        as_of_date,
        period,
        cost_center,
        account_category as cost_category,
        sum(amount_cents) as cents
    from gl
    group by all
),

pools as (
    select
        b.*,
        coalesce(by_cat.driver, dflt.driver) as driver
    from booked as b
    inner join rules as dflt on b.cost_center = dflt.cost_center and dflt.account_category is null
    left join rules as by_cat on b.cost_center = by_cat.cost_center and b.cost_category = by_cat.account_category
),

-- Snapshot drivers are measured at the latest snapshot on or before the period's last day (the
-- earliest snapshot for periods before it), so a closed period keeps its split in later snapshots.
driver_dates as (
    select
        p.as_of_date,
        p.period,
        coalesce(
            max(d.as_of_date) filter (where d.as_of_date <= last_day(cast(p.period || '-01' as date))),
            min(d.as_of_date)
        ) as driver_date
    from (select distinct
        as_of_date,
        period
    from pools) as p
    inner join {{ ref('int_as_of_dates') }} as d on p.as_of_date >= d.as_of_date
    group by all
),

receivers as (
    select
        dd.as_of_date,
        dd.period,
        dd.driver_date,
        w.driver,
        w.cost_center,
        w.driver_value,
        w.weight
    from driver_dates as dd
    inner join {{ ref('int_allocation_drivers') }} as w on dd.driver_date = w.as_of_date and w.period is null
    union all
    select
        dd.as_of_date,
        dd.period,
        dd.as_of_date as driver_date,
        w.driver,
        w.cost_center,
        w.driver_value,
        w.weight
    from driver_dates as dd
    inner join {{ ref('int_allocation_drivers') }} as w on dd.as_of_date = w.as_of_date and dd.period = w.period
),

split_input as (
    select
        p.as_of_date,
        p.period,
        p.cost_center as source_cost_center,
        p.cost_category,
        p.driver,
        p.cents as pool_cents,
        r.cost_center,
        r.driver_date,
        r.driver_value,
        r.weight,
        sum(r.driver_value) over (partition by p.as_of_date, p.period, p.cost_center, p.cost_category) as driver_total
    from pools as p
    inner join receivers as r on p.as_of_date = r.as_of_date and p.period = r.period and p.driver = r.driver
),

split as (
    {{ largest_remainder('split_input', 'as_of_date, period, source_cost_center, cost_category', 'cost_center') }}
),

spread_pools as (
    select distinct
        as_of_date,
        period,
        source_cost_center,
        cost_category,
        driver_date,
        driver_total
    from split_input
),

rows as (
    select
        as_of_date,
        period,
        cost_center,
        cost_category,
        cost_center as source_cost_center,
        'direct' as allocation_method,
        cast(null as string) as allocation_driver,
        cast(null as date) as driver_date,
        cast(null as decimal(18, 4)) as driver_value,
        cast(null as decimal(18, 4)) as driver_total,
        cents as booked_cents,
        cents as amount_cents
    from booked
    where cost_center not in (select cost_center from rules)
    union all
    select
        as_of_date,
        period,
        cost_center,
        cost_category,
        source_cost_center,
        'allocated',
        driver,
        driver_date,
        driver_value,
        driver_total,
        0,
        allocated_cents
    from split
    union all
    select
        p.as_of_date,
        p.period,
        p.cost_center,
        p.cost_category,
        p.cost_center as source_cost_center,
        case when s.source_cost_center is null then 'not_spread' else 'spread_out' end,
        p.driver,
        s.driver_date,
        null,
        s.driver_total,
        p.cents,
        case when s.source_cost_center is null then p.cents else 0 end
    from pools as p
    left join spread_pools as s
        on
            p.as_of_date = s.as_of_date and p.period = s.period
            and p.cost_center = s.source_cost_center and p.cost_category = s.cost_category
)

select
    r.as_of_date,
    r.period,
    r.cost_center,
    r.cost_category,
    r.source_cost_center,
    r.allocation_method,
    r.allocation_driver,
    r.driver_date,
    cast(r.driver_value as decimal(18, 4)) as driver_value,
    cast(r.driver_total as decimal(18, 4)) as driver_total,
    {{ from_cents('r.amount_cents') }} as amount,
    {{ from_cents('r.booked_cents') }} as source_gl_amount,
    pol.reporting_currency as currency
from rows as r
cross join {{ ref('int_policy') }} as pol
