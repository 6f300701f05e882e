-- One row per matched device (a cluster of records from int_asset_matching) per snapshot date,
-- with each attribute taken from the source that governs it: CMDB first for what the CMDB
-- governs, discovery for what is observed, procurement and the register for money.
with m as (
    select * from {{ snapshot_ref('int_asset_matching') }}
),

cmdb as (
    select
        c.as_of_date,
        c.asset_id,
        count(*) as cmdb_records,
        min_by(c.ci_id, c.cmdb_rank) filter (where c.updated_at is not null) as ci_id,
        {{ string_agg("c.ci_id", "','", "c.ci_id") }} as ci_ids,
        min_by(c.ci_class, c.cmdb_rank) filter (where c.updated_at is not null) as ci_class,
        min_by(c.hostname_norm, c.cmdb_rank) filter (where c.updated_at is not null) as hostname_norm,
        min_by(c.tag_norm, c.cmdb_rank) filter (where c.updated_at is not null and c.tag_norm is not null) as tag_norm,
        min_by(c.lifecycle_state, c.cmdb_rank) filter (where c.updated_at is not null) as lifecycle_state,
        min_by(c.assigned_user_norm, c.cmdb_rank)
        filter (where c.updated_at is not null and c.assigned_user_norm is not null) as assigned_user,
        min_by(c.cost_center, c.cmdb_rank)
        filter (where c.updated_at is not null and c.cost_center is not null) as cost_center,
        min_by(c.location, c.cmdb_rank) filter (where c.updated_at is not null and c.location is not null) as location,
        min_by(c.owner_group, c.cmdb_rank)
        filter (where c.updated_at is not null and c.owner_group is not null) as owner_group,
        min_by(c.business_service, c.cmdb_rank)
        filter (where c.updated_at is not null and c.business_service is not null) as business_service,
        min_by(c.manufacturer, c.cmdb_rank)
        filter (where c.updated_at is not null and c.manufacturer is not null) as manufacturer,
        min_by(c.model, c.cmdb_rank) filter (where c.updated_at is not null and c.model is not null) as model,
        max(c.warranty_end) as warranty_end,
        max(c.updated_at) as cmdb_updated_at
    from (
        -- the latest CI record first; CIs updated at the same time in ci_id order (max_by alone
        -- would take whichever its engine meets first: DuckDB and Spark differ)
        select
            m.as_of_date,
            m.asset_id,
            c.* {{ star_exclude() }} (as_of_date),
            row_number() over (
                partition by m.as_of_date, m.asset_id
                order by c.updated_at desc nulls last, c.ci_id asc
            ) as cmdb_rank
        from m
        inner join {{ snapshot_ref('int_cmdb_ci_snapshot') }} as c
            on m.as_of_date = c.as_of_date and m.record_id = 'cmdb:' || c.ci_id
    ) as c
    group by all
),

disc as (
    select
        m.as_of_date,
        m.asset_id,
        count(*) as discovery_records,
        max(d.last_seen_at) as last_seen_at,
        min(d.first_seen_at) as first_seen_at,
        bool_or(m.in_window) as seen_in_window,
        {{ string_agg("d.discovery_source", "','", "d.discovery_source", distinct=true) }} as discovery_sources,
        max_by(d.hostname_norm, d.last_seen_at) filter (where d.hostname_norm is not null) as hostname_norm,
        max_by(d.manufacturer, d.last_seen_at) filter (where d.manufacturer is not null) as manufacturer,
        max_by(d.model, d.last_seen_at) filter (where d.model is not null) as model,
        max_by(d.os_name, d.last_seen_at) filter (where d.os_name is not null) as os_name,
        max_by(d.os_version, d.last_seen_at) filter (where d.os_version is not null) as os_version,
        max_by(d.last_user_norm, d.last_seen_at) filter (where d.last_user_norm is not null) as last_user,
        max_by(d.cores, d.last_seen_at) filter (where d.cores is not null) as cores,
        max_by(d.processor, d.last_seen_at) filter (where d.processor is not null) as processor,
        max_by(d.mac_norm, d.last_seen_at) filter (where d.mac_norm is not null) as mac_address,
        max_by(d.ip_address, d.last_seen_at) filter (where d.ip_address is not null) as ip_address,
        max_by(d.cloud_id_norm, d.last_seen_at) filter (where d.cloud_id_norm is not null) as cloud_instance_id,
        max_by(d.cloud_account, d.last_seen_at) filter (where d.cloud_account is not null) as cloud_account,
        max_by(d.device_type, d.last_seen_at) filter (where d.device_type is not null) as device_type,
        max_by(d.chassis_type, d.last_seen_at) filter (where d.chassis_type is not null) as chassis_type,
        max_by(d.sockets, d.last_seen_at) filter (where d.sockets is not null) as sockets,
        max_by(d.memory_mb, d.last_seen_at) filter (where d.memory_mb is not null) as memory_mb,
        max_by(d.firmware, d.last_seen_at) filter (where d.firmware is not null) as firmware
    from m
    inner join {{ snapshot_ref('int_discovery_devices') }} as d
        on m.as_of_date = d.as_of_date and m.record_id = d.record_id
    group by all
),

po as (
    select
        m.as_of_date,
        m.asset_id,
        count(*) as procurement_records,
        min(p.order_date) as order_date,
        min_by(p.po_number, p.order_date) as po_number,
        min_by(p.unit_cost_rc, p.order_date) as purchase_cost,
        min_by(p.cost_center, p.order_date) as cost_center,
        min_by(p.vendor, p.order_date) as vendor,
        min_by(p.manufacturer, p.order_date) filter (where p.manufacturer is not null) as manufacturer,
        min_by(p.model, p.order_date) filter (where p.model is not null) as model
    from m
    inner join {{ snapshot_ref('int_purchase_lines') }} as p
        on
            m.as_of_date = p.as_of_date
            and m.record_id = p.match_record_id
    group by all
),

fa as (
    select
        m.as_of_date,
        m.asset_id,
        count(*) as fixed_asset_records,
        min(f.asset_tag) as asset_tag,
        {{ string_agg("f.asset_tag", "','", "f.asset_tag") }} as asset_tags,
        sum(f.acquisition_cost_rc) as acquisition_cost,
        min(f.in_service_date) as in_service_date,
        max(f.useful_life_months) as useful_life_months,
        min(f.depreciation_method) as depreciation_method,
        max(f.disposal_date) as disposal_date,
        min(f.cost_center) as cost_center
    from m
    inner join {{ snapshot_ref('int_fixed_assets') }} as f
        on m.as_of_date = f.as_of_date and m.record_id = 'fa:' || f.asset_tag
    group by all
),

clusters as (
    select
        as_of_date,
        asset_id,
        min(anchor) as anchor,
        min(serial_norm) as serial_number,
        {{ string_agg("match_rule", "','", "match_rule", distinct=true) }} as match_rules,
        count(*) as records
    from m
    group by all
)

select
    k.as_of_date,
    k.asset_id,
    k.anchor,
    case when d.cloud_instance_id is not null and k.serial_number is null then 'cloud_resource' else 'device' end
        as asset_kind,
    k.serial_number,
    coalesce(c.hostname_norm, d.hostname_norm) as hostname,
    coalesce(c.tag_norm, f.asset_tag) as asset_tag,
    c.ci_id,
    c.ci_class,
    coalesce(c.manufacturer, d.manufacturer, p.manufacturer) as manufacturer,
    coalesce(c.model, d.model, p.model) as model,
    d.os_name,
    d.os_version,
    d.cores,
    d.processor,
    c.assigned_user,
    d.last_user,
    coalesce(c.cost_center, f.cost_center, p.cost_center) as cost_center,
    c.location,
    c.owner_group,
    c.business_service,
    c.warranty_end,
    case
        when f.disposal_date is not null and f.disposal_date <= k.as_of_date then 'disposed'
        when c.lifecycle_state is not null then c.lifecycle_state
        when d.seen_in_window then 'in_use'
        when p.order_date is not null then 'in_stock'
    end as lifecycle_state,
    c.ci_id is not null as in_cmdb,
    d.asset_id is not null as in_discovery,
    p.asset_id is not null as in_procurement,
    f.asset_id is not null as in_fixed_assets,
    coalesce(d.seen_in_window, false) as seen_in_window,
    d.last_seen_at,
    d.first_seen_at,
    d.discovery_sources,
    d.mac_address,
    d.ip_address,
    d.cloud_instance_id,
    d.cloud_account,
    c.cmdb_updated_at,
    p.order_date,
    p.po_number,
    p.purchase_cost,
    p.vendor,
    f.acquisition_cost,
    f.in_service_date,
    f.useful_life_months,
    f.depreciation_method,
    f.disposal_date,
    coalesce(c.cmdb_records, 0) as cmdb_records,
    coalesce(d.discovery_records, 0) as discovery_records,
    coalesce(p.procurement_records, 0) as procurement_records,
    coalesce(f.fixed_asset_records, 0) as fixed_asset_records,
    c.ci_ids,
    f.asset_tags,
    -- Both sides of each governed field, for attribute-drift detection.
    c.hostname_norm as cmdb_hostname,
    d.hostname_norm as discovered_hostname,
    c.model as cmdb_model,
    d.model as discovered_model,
    c.cost_center as cmdb_cost_center,
    f.cost_center as register_cost_center,
    k.match_rules,
    k.records,
    -- issue 14.3: what inventory agents report (device/chassis type drive classification).
    d.device_type,
    d.chassis_type,
    d.sockets,
    d.memory_mb,
    d.firmware
from clusters as k
left join cmdb as c using (as_of_date, asset_id)
left join disc as d using (as_of_date, asset_id)
left join po as p using (as_of_date, asset_id)
left join fa as f using (as_of_date, asset_id)
