-- Every real-world asset per snapshot date before governance is applied: matched devices and
-- cloud resources, license entitlements, and SaaS applications, with the attributes the
-- classification rules read.
with saas_cost_centers as (
    select
        as_of_date,
        product_norm,
        max_by(cost_center, purchase_date) as cost_center
    from {{ snapshot_ref('int_license_entitlements') }}
    group by all
)

select
    as_of_date,
    asset_id,
    asset_kind,
    'device' as applies_to,
    coalesce(hostname, serial_number, asset_tag, anchor) as asset_name,
    serial_number,
    hostname,
    asset_tag,
    ci_id,
    ci_class,
    case when in_procurement then 'hardware' end as purchase_category,
    manufacturer,
    model,
    os_name,
    discovery_sources,
    cast(null as string) as license_metric,
    cast(null as boolean) as has_term_end,
    cost_center,
    location,
    lifecycle_state,
    assigned_user,
    last_user,
    in_cmdb,
    in_discovery,
    in_procurement,
    in_fixed_assets,
    seen_in_window,
    last_seen_at,
    warranty_end,
    order_date,
    purchase_cost,
    acquisition_cost,
    match_rules,
    device_type,
    chassis_type
from {{ snapshot_ref('int_device_assets') }}

union all

select
    as_of_date,
    'AS-' || substr(md5('entitlement:' || entitlement_id), 1, 12),
    'entitlement',
    'entitlement',
    product_name || ' (' || entitlement_id || ')',
    null,
    null,
    null,
    null,
    null,
    'software',
    publisher_name,
    product_name,
    null,
    null,
    license_metric,
    term_end is not null,
    cost_center,
    null,
    case when is_active then 'in_use' else 'retired' end,
    null,
    null,
    false,
    false,
    true,
    false,
    false,
    null,
    null,
    purchase_date,
    unit_cost_rc,
    null,
    'entitlement_id',
    null,
    null
from {{ snapshot_ref('int_license_entitlements') }}

union all

select
    u.as_of_date,
    'AS-' || substr(md5('saas:' || u.product_norm), 1, 12),
    'saas_app',
    'saas_app',
    -- latest observation; ties broken by value, so every build (incremental or not) agrees
    {{ first_by("u.app_name", [("u.last_observed_at", "desc"), ("u.app_name", "asc")]) }},
    null,
    null,
    null,
    null,
    null,
    'saas',
    {{ first_by("u.vendor", [("u.last_observed_at", "desc"), ("u.vendor", "asc")], where="u.vendor is not null") }},
    {{ first_by("u.app_name", [("u.last_observed_at", "desc"), ("u.app_name", "asc")]) }},
    null,
    null,
    null,
    null,
    min(c.cost_center),
    null,
    'in_use',
    null,
    null,
    false,
    true,
    false,
    false,
    true,
    max(u.last_active_at),
    null,
    null,
    null,
    null,
    'app_name',
    null,
    null
from {{ snapshot_ref('int_saas_usage') }} as u
left join saas_cost_centers as c on u.as_of_date = c.as_of_date and u.product_norm = c.product_norm
group by u.as_of_date, u.product_norm
