-- Reclamation candidates per snapshot date (issue 13; docs/decisions/license-position.md): one row
-- per product × idle consumer (no use within the policy reclaim window) for the asset manager to
-- act on. A consumer either holds a license of the metric that covers it (covered_by_metric) or
-- is one of the product's uncovered consumptions (covered_by_metric NULL: removing it lowers the
-- true-up). Per product: sum(recurring_savings_per_year) and sum(reharvest_value) here equal
-- fct_license_position's (dbt test assert_license_money_matches_reclamation). Money in the
-- reporting currency.
with cov as (
    select * from {{ snapshot_ref('int_license_coverage') }}
),

prod as (
    select * from {{ snapshot_ref('int_license_product_position') }}
),

cap as (
    select * from {{ snapshot_ref('int_license_capacity') }}
),

holders as (
    select
        c.*,
        c.covered_metric as licence_metric,
        c.held_units as units
    from cov as c
    where c.covered_metric is not null and c.holder_reclaimable and c.held_units > 0
),

uncovered as (
    select
        c.* {{ star_exclude() }} (rn),
        p.true_up_metric as licence_metric,
        {{ license_units('p.true_up_metric', 'true', 'c.core_units') }} as units
    from (
        select
            *,
            row_number() over (
                partition by as_of_date, publisher_norm, product_norm, user_key
                order by consumer_key
            ) as rn
        from cov
        where covered_metric is null and is_reclaimable
        -- a user with an active uncovered item stays a consumer
        and not exists (
            select 1
            from cov as a
            where
                a.as_of_date = cov.as_of_date and a.publisher_norm = cov.publisher_norm
                and a.product_norm = cov.product_norm and a.user_key = cov.user_key
                and a.covered_metric is null and not a.is_reclaimable
        )
    ) as c
    inner join prod as p using (as_of_date, publisher_norm, product_norm)
    where p.true_up_metric not in ('user', 'subscription') or c.rn = 1
),

rows_ as (
    select * from holders
    {{ union_all_by_name() }}
    select * from uncovered
)

select
    r.as_of_date,
    'RC-' || substr(md5(r.publisher_norm || '|' || r.product_norm || '|' || r.consumer_key), 1, 12) as reclamation_id,
    p.publisher,
    p.product,
    r.licence_metric as license_metric,
    r.covered_metric as covered_by_metric,
    r.consumer_type,
    r.consumer_key,
    r.asset_id,
    r.hostname,
    r.user_email,
    r.cost_center,
    r.last_used_at,
    cast(r.days_idle as integer) as days_idle,
    pol.reclaim_window_days,
    cast(r.units as decimal(18, 2)) as units,
    r.cores_defaulted as units_defaulted,
    c.unit_cost,
    c.license_type,
    c.annual_unit_cost,
    -- Saves money only when it holds a license and the product has nothing left to buy.
    cast(case
        when r.covered_metric is not null and p.true_up_units = 0
            then round(r.units * c.annual_unit_cost, 2)
        else 0
    end as decimal(18, 2
    )) as recurring_savings_per_year,
    -- A perpetual license reused instead of bought (its one-time price); never a saving.
    cast(case when c.license_type = 'perpetual' then round(r.units * c.unit_cost, 2) else 0 end as decimal(18, 2))
        as reharvest_value,
    pol.reporting_currency as currency,
    r.basis,
    r.publisher_norm,
    r.product_norm
from rows_ as r
inner join prod as p using (as_of_date, publisher_norm, product_norm)
inner join cap as c
    on
        r.as_of_date = c.as_of_date and r.publisher_norm = c.publisher_norm
        and r.product_norm = c.product_norm and r.licence_metric = c.license_metric
cross join {{ ref('int_policy') }} as pol
