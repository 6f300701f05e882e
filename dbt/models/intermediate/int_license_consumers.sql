-- Who or what consumes each entitled product at each snapshot date, one row per consumer, by
-- the product's license metric (docs/license-position.md):
--   device        distinct devices with the product installed (seen within their stale window)
--   core          those devices' cores (discovery's core count, else the policy default, flagged)
--   user          distinct users of those devices (CMDB assignment, else last logged-on user)
--                 and users the SaaS usage feed shows with a license assigned
--   subscription  users with a seat assigned in the SaaS usage feed; products with no SaaS
--                 usage at all fall back to the users of devices with the product installed
-- last_used_at is the consumer's latest use; NULL means "use unknown" and is never reclaimed.
with products as (
    select distinct as_of_date, publisher_norm, product_norm, license_metric
    from {{ ref('int_license_entitlements') }}
),
stale as (
    select discovery_source, stale_days from {{ source('taxonomy', 'stale_windows') }}
),
installs as (
    select i.*
    from {{ ref('int_software_installs') }} i
    left join stale s on s.discovery_source = i.discovery_source
    where i.last_observed_at >= i.as_of_date - to_days(cast(coalesce(s.stale_days, 30) as integer))
),
device_users as (
    select as_of_date, asset_id, coalesce(assigned_user, last_user) as user_email, cores
    from {{ ref('int_device_assets') }}
),
device_consumers as (
    select
        p.as_of_date, p.publisher_norm, p.product_norm, p.license_metric,
        coalesce(i.asset_id, 'host:' || i.hostname_norm) as consumer_key,
        'device' as consumer_type,
        i.hostname_norm as hostname,
        max(i.last_used_at) as last_used_at,
        max(du.cores) as cores
    from products p
    join installs i
        on i.as_of_date = p.as_of_date and i.publisher_norm = p.publisher_norm and i.product_norm = p.product_norm
    left join device_users du on du.as_of_date = i.as_of_date and du.asset_id = i.asset_id
    where p.license_metric in ('device', 'core')
    group by all
),
install_users as (
    select
        p.as_of_date, p.publisher_norm, p.product_norm, p.license_metric,
        du.user_email as consumer_key,
        max(i.last_used_at) as last_used_at
    from products p
    join installs i
        on i.as_of_date = p.as_of_date and i.publisher_norm = p.publisher_norm and i.product_norm = p.product_norm
    join device_users du on du.as_of_date = i.as_of_date and du.asset_id = i.asset_id
    where p.license_metric in ('user', 'subscription') and du.user_email is not null
    group by all
),
saas_users as (
    select
        p.as_of_date, p.publisher_norm, p.product_norm, p.license_metric,
        u.user_email as consumer_key,
        max(u.last_active_at) as last_used_at
    from products p
    join {{ ref('int_saas_usage') }} u on u.as_of_date = p.as_of_date and u.product_norm = p.product_norm
    where p.license_metric in ('user', 'subscription') and coalesce(u.license_assigned, false)
    group by all
),
saas_products as (
    select distinct as_of_date, product_norm from {{ ref('int_saas_usage') }}
),
user_consumers as (
    select *, 'user' as consumer_type, 'saas_usage' as basis from saas_users
    union all
    select iu.*, 'user', 'installs'
    from install_users iu
    left join saas_products sp on sp.as_of_date = iu.as_of_date and sp.product_norm = iu.product_norm
    where iu.license_metric = 'user' or sp.product_norm is null
)
select
    d.as_of_date, d.publisher_norm, d.product_norm, d.license_metric, d.consumer_key, d.consumer_type,
    d.hostname,
    d.last_used_at,
    case when d.license_metric = 'core' then coalesce(d.cores, pol.default_cores_per_device) else 1 end as units,
    d.license_metric = 'core' and d.cores is null as units_defaulted,
    'installs' as basis
from device_consumers d
cross join {{ ref('int_policy') }} pol
union all
select
    as_of_date, publisher_norm, product_norm, license_metric, consumer_key, 'user', null,
    max(last_used_at), 1, false, min(basis)
from user_consumers
group by all
