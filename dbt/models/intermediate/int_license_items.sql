-- What consumes each licensed product at each snapshot date: one row per product × consumption
-- item, whatever metric ends up covering it (issue 13; docs/decisions/license-position.md):
--   device items  a device with the product installed (seen within its stale window); its user is
--                 the CMDB assignment, else the last logged-on user, else the device itself
--   seat items    a user the SaaS usage feed's latest export shows with a license assigned (or,
--                 for a product with user entitlements, active within the reclaim window), keyed
--                 like installs by (publisher, product): int_saas_usage resolves the feed's vendor
-- int_license_coverage then covers each item once, in the declared metric order.
-- core_units: what the item counts under the core metric (taxonomy/licensing.yaml):
--   a VM on a host that has the product installed, for a product with core entitlements in force,
--   is covered by the host's physical cores (0); another VM counts its virtual cores, at least the
--   product's vm_min_cores; a physical device counts ceil(cores × core factor of its processor)
--   for products declared core_factor, else its cores. Unknown cores: the policy default, flagged.
-- last_used_at NULL means "use unknown" and is never reclaimable.
with pol as (
    select * from {{ ref('int_policy') }}
),

settings as (
    select * from {{ ref('stg_taxonomy__license_settings') }}
),

products as (
    select
        g.as_of_date,
        g.publisher_norm,
        g.product_norm,
        bool_or(g.is_active and g.license_metric = 'core') as has_core_grants,
        bool_or(g.license_metric = 'user') as has_user_grants,
        bool_or(g.license_metric in ('user', 'subscription')) as has_seat_grants,
        coalesce(max(r.vm_min_cores), 0) as vm_min_cores,
        coalesce(bool_or(r.core_factor), false) as uses_core_factor
    from {{ snapshot_ref('int_license_grants') }} as g
    left join {{ ref('stg_taxonomy__license_products') }} as r
        on {{ normalise_name('r.publisher') }} = g.publisher_norm and {{ normalise_name('r.product') }} = g.product_norm
    group by all
),

installs as (
    select
        i.as_of_date,
        i.publisher_norm,
        i.product_norm,
        i.asset_id,
        i.hostname_norm,
        i.last_used_at,
        coalesce(i.asset_id, 'host:' || i.hostname_norm) as device_key,
        -- A release year in the installed name ("SQL Server 2019 Enterprise"), else a year-like
        -- version ("2024.2.1"); the major version is the version's first number.
        coalesce(
            try_cast(
                nullif(regexp_extract(i.product_raw_name, '(^|[^0-9])((19|20)[0-9]{2})([^0-9]|$)', 2), '') as integer
            ),
            try_cast(nullif(regexp_extract(i.version, '^\s*((19|20)[0-9]{2})([^0-9]|$)', 1), '') as integer)
        ) as install_year,
        try_cast(nullif(regexp_extract(i.version, '^\s*[vV]?([0-9]+)', 1), '') as integer) as install_major
    from {{ snapshot_ref('int_software_installs') }} as i
    where i.in_window
),

devices as (
    select
        as_of_date,
        asset_id,
        coalesce(assigned_user, last_user) as user_email,
        cores,
        processor,
        cost_center
    from {{ snapshot_ref('int_device_assets') }}
),

device_items as (
    select
        p.as_of_date,
        p.publisher_norm,
        p.product_norm,
        i.device_key,
        max(i.asset_id) as asset_id,
        max(i.hostname_norm) as hostname,
        max(d.user_email) as user_email,
        max(d.cost_center) as cost_center,
        max(i.last_used_at) as last_used_at,
        max(d.cores) as cores,
        max(d.processor) as processor,
        max(i.install_year) as install_year,
        max(i.install_major) as install_major
    from products as p
    inner join
        installs as i
        on p.as_of_date = i.as_of_date and p.publisher_norm = i.publisher_norm and p.product_norm = i.product_norm
    left join devices as d on i.as_of_date = d.as_of_date and i.asset_id = d.asset_id
    group by all
),

factors as (
    select
        di.as_of_date,
        di.publisher_norm,
        di.product_norm,
        di.device_key,
        min_by(f.factor, f.position) as factor
    from device_items as di
    inner join {{ ref('stg_taxonomy__core_factors') }} as f
        on {{ regex_search("di.processor", "f.processor_pattern", "i") }}
    group by all
),

vm as (
    select * from {{ snapshot_ref('int_license_vm_hosts') }}
),

device_rows as (
    select
        di.*,
        'device' as consumer_type,
        di.device_key as consumer_key,
        coalesce(di.user_email, di.device_key) as user_key,
        'installs' as basis,
        v.host_asset_id,
        v.vm_asset_id is not null as is_vm,
        -- Covered by its host: the host has the product installed and the product has core
        -- entitlements in force (it is licensed by the host's physical cores).
        v.vm_asset_id is not null and p.has_core_grants and host.device_key is not null as covered_by_host,
        coalesce(di.cores, pol.default_cores_per_device) as cores_counted,
        di.cores is null as cores_defaulted,
        case
            when p.uses_core_factor and v.vm_asset_id is null
                then coalesce(fa.factor, s.default_core_factor)
            else 1
        end as core_factor,
        p.vm_min_cores
    from device_items as di
    inner join products as p using (as_of_date, publisher_norm, product_norm)
    cross join pol
    cross join settings as s
    left join factors as fa using (as_of_date, publisher_norm, product_norm, device_key)
    left join vm as v on di.as_of_date = v.as_of_date and di.asset_id = v.vm_asset_id
    left join device_items as host
        on
            di.as_of_date = host.as_of_date and di.publisher_norm = host.publisher_norm
            and di.product_norm = host.product_norm and v.host_asset_id = host.asset_id
),

seat_rows as (
    select
        p.as_of_date,
        p.publisher_norm,
        p.product_norm,
        'seat:' || u.user_email as device_key,
        cast(null as string) as asset_id,
        cast(null as string) as hostname,
        u.user_email,
        cast(null as string) as cost_center,
        max(u.last_active_at) as last_used_at,
        cast(null as integer) as cores,
        cast(null as string) as processor,
        cast(null as integer) as install_year,
        cast(null as integer) as install_major,
        'user' as consumer_type,
        'seat:' || u.user_email as consumer_key,
        u.user_email as user_key,
        'saas_usage' as basis
    from products as p
    inner join {{ snapshot_ref('int_saas_usage') }} as u
        on p.as_of_date = u.as_of_date and p.publisher_norm = u.publisher_norm and p.product_norm = u.product_norm
    cross join pol
    where
        p.has_seat_grants
        and u.in_latest_export
        and (
            coalesce(u.license_assigned, false)
            or (
                p.has_user_grants
                and u.last_active_at >= u.as_of_date - {{ days_interval("cast(pol.reclaim_window_days as integer)") }}
            )
        )
    group by all
),

items as (
    select
        as_of_date,
        publisher_norm,
        product_norm,
        consumer_key,
        consumer_type,
        asset_id,
        hostname,
        user_key,
        user_email,
        cost_center,
        last_used_at,
        basis,
        install_year,
        install_major,
        cores,
        cores_defaulted,
        processor,
        core_factor,
        is_vm,
        host_asset_id,
        covered_by_host,
        cast(case
            when covered_by_host then 0
            when is_vm then greatest(cores_counted, vm_min_cores)
            else ceil(cores_counted * core_factor)
        end as integer) as core_units,
        case
            when covered_by_host then 'VM on a host licensed by its physical cores'
            when is_vm
                then
                    'VM: its ' || cores_counted || ' virtual cores'
                    || case
                        when vm_min_cores > cores_counted then ', raised to the minimum of ' || vm_min_cores else ''
                    end
            else
                cores_counted || ' physical cores'
                || case when core_factor <> 1 then ' x core factor ' || cast(core_factor as double) else '' end
        end
        || case
            when cores_defaulted and not covered_by_host then ' (policy default: discovery reported none)' else ''
        end
            as core_rule
    from device_rows
    union all
    select
        as_of_date,
        publisher_norm,
        product_norm,
        consumer_key,
        consumer_type,
        asset_id,
        hostname,
        user_key,
        user_email,
        cost_center,
        last_used_at,
        basis,
        install_year,
        install_major,
        cores,
        false,
        processor,
        1,
        false,
        null,
        false,
        0,
        'a SaaS seat has no cores'
    from seat_rows
)

select
    i.*,
    {{ days_between("cast(i.last_used_at as date)", "i.as_of_date") }} as days_idle,
    -- Unused for longer than the reclaim window; an unknown last use is never reclaimable.
    coalesce(
        i.last_used_at < i.as_of_date - {{ days_interval("cast(pol.reclaim_window_days as integer)") }}, false
    ) as is_reclaimable
from items as i
cross join pol
