-- SaaS applications per snapshot date, grouped by function category (taxonomy saas_categories):
-- paid seats (entitlements in force) against assigned seats and users active within the window
-- (policy reclaim_window_days), annual cost, and an overlap flag on paid apps that share their
-- category with another paid app (docs/marts.md). Money in the reporting currency.
-- An app is a SaaS app when the SaaS usage feed shows it or the taxonomy lists it in a category;
-- names meet through the same normalisation and product dictionary as everywhere else. An app is
-- (publisher, product), as in the license position: the same name from two publishers is two
-- apps, each with its own seats and cost (usage with an unresolved publisher: publisher_norm NULL).
-- Function categories name apps, not publishers: a category applies to every publisher's app.
with pol as (
    select * from {{ ref('int_policy') }}
),

aliases as (
    select
        alias_norm,
        min(product_norm) as product_norm
    from {{ ref('int_products') }}
    group by alias_norm
),

categories as (
    select
        coalesce(a.product_norm, c.app_norm) as product_norm,
        min(c.function_category) as function_category,
        min(c.app_name) as category_app_name
    from (
        select
            {{ normalise_name('app_name') }} as app_norm,
            app_name,
            function_category
        from {{ ref('stg_taxonomy__saas_categories') }}
    ) as c
    left join aliases as a on c.app_norm = a.alias_norm
    group by all
),

usage as (
    select
        u.as_of_date,
        u.publisher_norm,
        u.product_norm,
        {{ first_by("u.app_name", [("u.last_observed_at", "desc"), ("u.app_name", "asc")]) }} as app_name,
        {{ first_by("u.vendor", [("u.last_observed_at", "desc"), ("u.vendor", "asc")], where="u.vendor is not null") }}
            as vendor,
        count(*) filter (where coalesce(u.license_assigned, false)) as assigned_seats,
        count(*) filter (
            where u.last_active_at >= u.as_of_date - {{ days_interval("cast(pol.reclaim_window_days as integer)") }}
        ) as active_users
    from {{ snapshot_ref('int_saas_usage') }} as u
    cross join pol
    where u.in_latest_export
    group by all
),

paid as (
    select
        as_of_date,
        publisher_norm,
        product_norm,
        max_by(product_name, purchase_date) as product_name,
        max_by(publisher_name, purchase_date) as publisher_name,
        sum(quantity) as paid_seats,
        -- unit_cost of a subscription is the annual price per seat (docs/marts.md)
        sum(quantity * unit_cost_rc) as annual_cost
    from {{ snapshot_ref('int_license_entitlements') }}
    where is_active
    group by all
),

apps as (
    select
        as_of_date,
        publisher_norm,
        product_norm
    from usage
    union
    select
        p.as_of_date,
        p.publisher_norm,
        p.product_norm
    from paid as p
    inner join categories using (product_norm)
),

joined as (
    select
        a.as_of_date,
        a.publisher_norm,
        a.product_norm,
        coalesce(u.app_name, p.product_name, c.category_app_name) as app_name,
        coalesce(u.vendor, p.publisher_name) as vendor,
        c.function_category,
        coalesce(p.paid_seats, 0) as paid_seats,
        coalesce(u.assigned_seats, 0) as assigned_seats,
        coalesce(u.active_users, 0) as active_users,
        coalesce(p.annual_cost, 0) as annual_cost,
        coalesce(p.annual_cost, 0) > 0 as is_paid
    from apps as a
    left join usage as u
        on
            a.as_of_date = u.as_of_date and u.publisher_norm is not distinct from a.publisher_norm
            and a.product_norm = u.product_norm
    left join paid as p
        on a.as_of_date = p.as_of_date and a.publisher_norm = p.publisher_norm and a.product_norm = p.product_norm
    left join categories as c on a.product_norm = c.product_norm
),

per_category as (
    select
        *,
        case when function_category is not null then count(*) over cat end as apps_in_category,
        case when function_category is not null then count(*) filter (where is_paid) over cat end
            as paid_apps_in_category,
        case
            when function_category is not null
                then {{ window_string_agg_sorted("app_name", "', '", "is_paid", "cat") }}
        end as paid_apps
    from joined
    window cat as (partition by as_of_date, function_category)
)

select
    c.as_of_date,
    c.app_name,
    c.vendor,
    c.function_category,
    cast(c.apps_in_category as integer) as apps_in_category,
    cast(c.paid_apps_in_category as integer) as paid_apps_in_category,
    c.is_paid,
    cast(c.paid_seats as decimal(18, 2)) as paid_seats,
    cast(c.assigned_seats as integer) as assigned_seats,
    cast(c.active_users as integer) as active_users_90d,
    cast(greatest(c.paid_seats - c.active_users, 0) as decimal(18, 2)) as unused_paid_seats,
    cast(round(c.annual_cost, 2) as decimal(18, 2)) as annual_cost,
    pol.reporting_currency as currency,
    pol.reclaim_window_days as active_window_days,
    coalesce(c.is_paid and c.paid_apps_in_category > 1, false) as overlap_flag,
    case when c.is_paid and c.paid_apps_in_category > 1 then c.paid_apps end as overlapping_apps,
    c.product_norm,
    c.publisher_norm
from per_category as c
cross join pol
