-- SaaS usage per snapshot date: per licensable product and user, the latest observation up to the
-- date. A product is (publisher, product), the same keys the installs side uses
-- (int_software_installs), so two publishers' apps of one name never meet the same entitlements
-- (docs/decisions/saas-publisher-key.md):
--   publisher_norm  the row's vendor through the publisher dictionary; a row without a vendor takes
--                   the publisher the product dictionary gives its app name, else the one publisher
--                   the product is known under at the date (license grants, the feed's rows with a
--                   vendor); else NULL (unmatched)
--   product_norm    the app name through the product dictionary of that publisher, so "Adobe
--                   Creative Cloud" by Adobe Inc. meets Adobe's "Creative Cloud" entitlement
-- in_latest_export: the user appears in the feed's latest export up to the date. Each export is
-- the feed's full picture, so a seat missing from it has been removed (it stays as history).
-- Names are resolved once per distinct (app name, vendor) spelling, not once per usage row.
with spellings as (
    select distinct
        app_name,
        vendor
    from {{ ref('stg_discovery__saas_usage') }}
),

normalised as (
    select
        s.app_name,
        s.vendor,
        {{ normalise_name('s.app_name') }} as app_norm,
        coalesce(pub.publisher_norm, {{ normalise_name('s.vendor') }}) as vendor_norm
    from spellings as s
    left join {{ ref('int_publishers') }} as pub on pub.alias_norm = {{ normalise_name('s.vendor') }}
),

-- An alias that names one product of one publisher identifies the publisher without a vendor.
unique_aliases as (
    select
        alias_norm,
        min(publisher_norm) as publisher_norm,
        min(product_norm) as product_norm
    from {{ ref('int_products') }}
    group by alias_norm
    having count(distinct {{ row_value(["publisher_norm", "product_norm"]) }}) = 1
),

names as (
    select
        n.app_name,
        n.vendor,
        n.app_norm,
        n.vendor_norm,
        coalesce(pa.product_norm, case when n.vendor_norm is null then ua.product_norm end, n.app_norm) as product_norm,
        coalesce(n.vendor_norm, ua.publisher_norm) as publisher_known
    from normalised as n
    left join {{ ref('int_products') }} as pa on n.vendor_norm = pa.publisher_norm and n.app_norm = pa.alias_norm
    left join unique_aliases as ua on n.app_norm = ua.alias_norm
),

-- The publishers a product name is known under at the date: those holding license grants of it,
-- and those the feed's own rows with a vendor name for it. A vendorless row of a product known
-- under one publisher belongs to it; a name two publishers use leaves such a row unmatched.
known_publishers as (
    select
        as_of_date,
        product_norm,
        publisher_norm
    from {{ snapshot_ref('int_license_grants') }}
    union
    select
        d.as_of_date,
        n.product_norm,
        n.publisher_known
    from {{ snapshot_dates() }} as d
    cross join names as n
    where n.vendor_norm is not null
),

sole_publisher as (
    select
        as_of_date,
        product_norm,
        min(publisher_norm) as publisher_norm
    from known_publishers
    group by all
    having count(distinct publisher_norm) = 1
),

obs as (
    select
        d.as_of_date,
        coalesce(nm.publisher_known, sp.publisher_norm) as publisher_norm,
        nm.product_norm,
        {{ normalise_email('u.user_email') }} as user_email,
        trim(u.app_name) as app_name,
        u.vendor,
        u.license_assigned,
        u.last_active_at,
        u.observed_at,
        u.export_date
    from {{ snapshot_dates() }} as d
    inner join {{ ref('stg_discovery__saas_usage') }} as u
        on
            d.as_of_date >= u.export_date
            and u.observed_at < d.as_of_date + interval 1 day
    inner join names as nm on nm.app_name is not distinct from u.app_name and nm.vendor is not distinct from u.vendor
    left join sole_publisher as sp
        on nm.publisher_known is null and d.as_of_date = sp.as_of_date and nm.product_norm = sp.product_norm
),

usage as (
    select
        as_of_date,
        publisher_norm,
        product_norm,
        user_email,
        max_by(app_name, observed_at) as app_name,
        max_by(vendor, observed_at) filter (where vendor is not null) as vendor,
        max_by(license_assigned, observed_at) filter (where license_assigned is not null) as license_assigned,
        max(last_active_at) as last_active_at,
        max(observed_at) as last_observed_at,
        max(export_date) as last_export_date
    from obs
    group by all
)

select
    u.*,
    u.last_export_date = max(u.last_export_date) over (partition by u.as_of_date) as in_latest_export
from usage as u
