-- SaaS usage per snapshot date: per app and user, the latest observation up to the date.
-- product_norm maps the app name through the product dictionary (any publisher), so "Adobe
-- Creative Cloud" in a usage feed meets the "Creative Cloud" entitlement.
-- in_latest_export: the user appears in the feed's latest export up to the date. Each export is
-- the feed's full picture, so a seat missing from it has been removed (it stays as history).
with usage as (
    select
        d.as_of_date,
        {{ normalise_name('u.app_name') }} as app_norm,
        arg_max(trim(u.app_name), u.observed_at) as app_name,
        {{ normalise_email('u.user_email') }} as user_email,
        arg_max(u.vendor, u.observed_at) filter (where u.vendor is not null) as vendor,
        arg_max(u.license_assigned, u.observed_at) filter (where u.license_assigned is not null) as license_assigned,
        max(u.last_active_at) as last_active_at,
        max(u.observed_at) as last_observed_at,
        max(u.export_date) as last_export_date
    from {{ ref('int_as_of_dates') }} as d
    inner join {{ ref('stg_discovery__saas_usage') }} as u
        on
            d.as_of_date >= u.export_date
            and u.observed_at < d.as_of_date + interval 1 day
    group by d.as_of_date, {{ normalise_name('u.app_name') }}, {{ normalise_email('u.user_email') }}
),

aliases as (
    select
        alias_norm,
        min(product_norm) as product_norm
    from {{ ref('int_products') }}
    group by alias_norm
)

select
    u.*,
    coalesce(a.product_norm, u.app_norm) as product_norm,
    u.last_export_date = max(u.last_export_date) over (partition by u.as_of_date) as in_latest_export
from usage as u
left join aliases as a on u.app_norm = a.alias_norm
