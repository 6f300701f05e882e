-- Who or what consumes each entitled product at each snapshot date, one row per consumer, by
-- the product's license metric (docs/marts.md, docs/decisions/license-position.md):
--   device        distinct devices with the product installed (seen within their stale window)
--   core          those devices' cores (discovery's core count, else the policy default, flagged)
--   user          distinct users of those devices (CMDB assignment, else last logged-on user; a
--                 device with neither counts as one consumer itself) and users the SaaS usage
--                 feed shows with a license assigned or active within the reclaim window
--   subscription  users with a seat assigned in the SaaS usage feed's latest export; products
--                 with no SaaS usage at all fall back to the users of devices with it installed
-- last_used_at is the consumer's latest use; NULL means "use unknown" and is never reclaimed.
-- install_year / install_major: the release installed, read against entitlements' version rights.
with pol as (
    select * from {{ ref('int_policy') }}
),
products as (
    select distinct as_of_date, publisher_norm, product_norm, license_metric
    from {{ ref('int_license_entitlements') }}
),
installs as (
    select
        i.*,
        -- A release year in the installed name ("SQL Server 2019 Enterprise"), else a year-like
        -- version ("2024.2.1"); the major version is the version's first number.
        coalesce(
            try_cast(nullif(regexp_extract(i.product_raw_name, '(^|[^0-9])((19|20)[0-9]{2})([^0-9]|$)', 2), '') as integer),
            try_cast(nullif(regexp_extract(i.version, '^\s*((19|20)[0-9]{2})([^0-9]|$)', 1), '') as integer)
        ) as install_year,
        try_cast(nullif(regexp_extract(i.version, '^\s*[vV]?([0-9]+)', 1), '') as integer) as install_major
    from {{ ref('int_software_installs') }} i
    where i.in_window
),
device_users as (
    select as_of_date, asset_id, coalesce(assigned_user, last_user) as user_email, cores, cost_center
    from {{ ref('int_device_assets') }}
),
product_installs as (
    select
        p.as_of_date, p.publisher_norm, p.product_norm, p.license_metric,
        i.asset_id,
        coalesce(i.asset_id, 'host:' || i.hostname_norm) as device_key,
        i.hostname_norm, i.last_used_at, i.install_year, i.install_major,
        du.user_email, du.cores, du.cost_center
    from products p
    join installs i
        on i.as_of_date = p.as_of_date and i.publisher_norm = p.publisher_norm and i.product_norm = p.product_norm
    left join device_users du on du.as_of_date = i.as_of_date and du.asset_id = i.asset_id
),
device_consumers as (
    select
        as_of_date, publisher_norm, product_norm, license_metric,
        device_key as consumer_key,
        'device' as consumer_type,
        max(asset_id) as asset_id,
        max(hostname_norm) as hostname,
        max(user_email) as user_email,
        max(cost_center) as cost_center,
        max(last_used_at) as last_used_at,
        max(cores) as cores,
        max(install_year) as install_year,
        max(install_major) as install_major
    from product_installs
    where license_metric in ('device', 'core')
    group by all
),
-- Installs read by user: the device's user, or the device itself when no user is known (an
-- install nobody is known to use still needs a license).
install_users as (
    select
        as_of_date, publisher_norm, product_norm, license_metric,
        coalesce(user_email, device_key) as consumer_key,
        case when user_email is null then 'device' else 'user' end as consumer_type,
        case when user_email is null then max(asset_id) end as asset_id,
        string_agg(distinct hostname_norm, ',' order by hostname_norm) as hostname,
        user_email,
        min(cost_center) as cost_center,
        max(last_used_at) as last_used_at,
        max(install_year) as install_year,
        max(install_major) as install_major,
        'installs' as basis
    from product_installs
    where license_metric in ('user', 'subscription')
    group by as_of_date, publisher_norm, product_norm, license_metric, coalesce(user_email, device_key), user_email
),
saas_users as (
    select
        p.as_of_date, p.publisher_norm, p.product_norm, p.license_metric,
        u.user_email as consumer_key,
        'user' as consumer_type,
        cast(null as varchar) as asset_id,
        cast(null as varchar) as hostname,
        u.user_email,
        cast(null as varchar) as cost_center,
        max(u.last_active_at) as last_used_at,
        cast(null as integer) as install_year,
        cast(null as integer) as install_major,
        'saas_usage' as basis
    from products p
    join {{ ref('int_saas_usage') }} u on u.as_of_date = p.as_of_date and u.product_norm = p.product_norm
    cross join pol
    where p.license_metric in ('user', 'subscription')
      and u.in_latest_export
      and (coalesce(u.license_assigned, false)
           or (p.license_metric = 'user'
               and u.last_active_at >= u.as_of_date - to_days(cast(pol.reclaim_window_days as integer))))
    group by all
),
saas_products as (
    select distinct as_of_date, product_norm from {{ ref('int_saas_usage') }} where in_latest_export
),
user_consumers as (
    select * from saas_users
    union all
    select iu.*
    from install_users iu
    left join saas_products sp on sp.as_of_date = iu.as_of_date and sp.product_norm = iu.product_norm
    where iu.license_metric = 'user' or sp.product_norm is null
),
consumers as (
    select
        as_of_date, publisher_norm, product_norm, license_metric, consumer_key, consumer_type,
        asset_id, hostname, user_email, cost_center, last_used_at,
        case when license_metric = 'core' then coalesce(cores, pol.default_cores_per_device) else 1 end as units,
        license_metric = 'core' and cores is null as units_defaulted,
        'installs' as basis,
        install_year, install_major
    from device_consumers
    cross join pol
    union all
    select
        as_of_date, publisher_norm, product_norm, license_metric, consumer_key, min(consumer_type),
        max(asset_id), string_agg(hostname, ','), max(user_email), min(cost_center), max(last_used_at),
        1, false,
        string_agg(distinct basis, ',' order by basis),
        max(install_year), max(install_major)
    from user_consumers
    group by as_of_date, publisher_norm, product_norm, license_metric, consumer_key
)
select
    c.*,
    date_diff('day', cast(c.last_used_at as date), c.as_of_date) as days_idle,
    -- Unused for longer than the reclaim window; an unknown last use is never reclaimable.
    coalesce(c.last_used_at < c.as_of_date - to_days(cast(pol.reclaim_window_days as integer)), false) as is_reclaimable
from consumers c
cross join pol
