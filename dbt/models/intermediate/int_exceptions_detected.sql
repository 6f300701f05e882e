-- Reconciliation problems found at each snapshot date, one row per problem. The problem key is
-- built from the asset's matching anchor (serial, tag, hostname...) and never from row order, so
-- the same problem has the same exception_id in every quarter (docs/marts.md).
with d as (
    select * from {{ snapshot_ref('int_device_assets') }}
),

g as (
    select * from {{ snapshot_ref('int_asset_governance') }}
),

p as (
    select * from {{ ref('int_policy') }}
),

found as (
    select
        as_of_date,
        'unmanaged_device' as exception_type,
        anchor as problem_key,
        asset_id,
        'seen by ' || discovery_sources || ' at ' || {{ format_date("last_seen_at", "%Y-%m-%d %H:%M") }}
        || ' (hostname ' || coalesce(discovered_hostname, '?') || ', serial ' || coalesce(serial_number, '?')
        || ') but no CMDB CI matches' as detail
    from d
    where in_discovery and seen_in_window and not in_cmdb

    union all
    select
        as_of_date,
        'ghost_ci',
        anchor,
        asset_id,
        'CMDB CI ' || ci_id || ' is in_use but '
        || case
            when last_seen_at is null then 'no discovery source has ever seen it'
            else
                'discovery last saw it ' || {{ format_date("last_seen_at", "%Y-%m-%d") }}
                || ', outside the stale window'
        end
    from d
    where in_cmdb and lifecycle_state = 'in_use' and not seen_in_window

    union all
    select
        d.as_of_date,
        'purchased_not_deployed',
        d.anchor,
        d.asset_id,
        'ordered on ' || {{ format_date("d.order_date", "%Y-%m-%d") }} || ' (PO ' || d.po_number || ', serial '
        || d.serial_number
        || '), '
        || {{ days_between("d.order_date", "d.as_of_date") }}
        || ' days ago; not in the CMDB nor seen by discovery'
    from d cross join p
    where
        d.in_procurement and not d.in_cmdb and not d.in_discovery
        and d.order_date < d.as_of_date - {{ days_interval("cast(p.deployment_window_days as integer)") }}

    union all
    select
        as_of_date,
        'attribute_drift',
        anchor || '|assigned_user',
        asset_id,
        'assigned user: CMDB says ' || assigned_user || ', discovery last saw ' || last_user || ' logged on'
    from d
    where
        in_cmdb and seen_in_window and assigned_user is not null and last_user is not null
        and assigned_user <> last_user

    union all
    select
        as_of_date,
        'attribute_drift',
        anchor || '|hostname',
        asset_id,
        'hostname: CMDB says ' || cmdb_hostname || ', discovery says ' || discovered_hostname
    from d
    where
        in_cmdb and seen_in_window and cmdb_hostname is not null and discovered_hostname is not null
        and cmdb_hostname <> discovered_hostname

    union all
    select
        as_of_date,
        'attribute_drift',
        anchor || '|model',
        asset_id,
        'model: CMDB says ' || cmdb_model || ', discovery says ' || discovered_model
    from d
    where
        in_cmdb and seen_in_window and cmdb_model is not null and discovered_model is not null
        and position({{ normalise_name('cmdb_model') }} in {{ normalise_name('discovered_model') }}) = 0
        and position({{ normalise_name('discovered_model') }} in {{ normalise_name('cmdb_model') }}) = 0

    union all
    select
        as_of_date,
        'attribute_drift',
        anchor || '|cost_center',
        asset_id,
        'cost center: CMDB says ' || cmdb_cost_center || ', fixed-asset register says ' || register_cost_center
    from d
    where
        in_cmdb and in_fixed_assets and cmdb_cost_center is not null and register_cost_center is not null
        and upper(trim(cmdb_cost_center)) <> upper(trim(register_cost_center))

    union all
    select
        g.as_of_date,
        'missing_from_fixed_assets',
        d.anchor,
        g.asset_id,
        asset_class
        || ' bought for '
        || {{ format_thousands("cast(g.purchase_cost as double)") }}
        || ' '
        || p.reporting_currency
        || ' (threshold ' || {{ format_thousands("cast(p.capitalisation_threshold as double)") }}
        || ') on PO ' || d.po_number
        || ' is not in the fixed-asset register'
    from g
    inner join d using (as_of_date, asset_id)
    cross join p
    where
        g.in_procurement and not g.in_fixed_assets and g.capitalise
        and g.purchase_cost >= p.capitalisation_threshold
        and coalesce(g.lifecycle_state, '') <> 'disposed'

    union all
    select
        as_of_date,
        'duplicate_record',
        anchor,
        asset_id,
        case
            when cmdb_records > 1 then cmdb_records || ' CMDB CIs for one asset: ' || ci_ids
            else fixed_asset_records || ' fixed-asset rows for one asset: ' || asset_tags
        end
    from d
    where cmdb_records > 1 or fixed_asset_records > 1

    union all
    select
        g.as_of_date,
        'unclassified',
        coalesce(d.anchor, g.asset_kind || ':' || g.asset_name),
        g.asset_id,
        'no classification rule matches ' || g.asset_kind || ' ' || g.asset_name
        || coalesce(' (ci_class ' || g.ci_class || ')', '') || coalesce(' model ' || g.model, '')
    from g
    left join d using (as_of_date, asset_id)
    where g.asset_class is null

    union all
    select
        g.as_of_date,
        'unowned',
        coalesce(d.anchor, g.asset_kind || ':' || g.asset_name),
        g.asset_id,
        'no ownership rule covers class ' || coalesce(g.asset_class, '(none)')
        || ' in cost center ' || coalesce(g.cost_center, '(none)')
    from g
    left join d using (as_of_date, asset_id)
    where g.ownership_rule is null

    union all
    -- A lifecycle change the taxonomy does not allow, seen between two CMDB exports; detected in
    -- every snapshot while the CI still sits in the state it jumped to.
    select
        s.as_of_date,
        'invalid_transition',
        'ci:' || t.ci_id || '|' || t.from_state || '>' || t.to_state || '|'
        || {{ format_date("t.to_export_date", "%Y-%m-%d") }},
        m.asset_id,
        'CMDB CI ' || t.ci_id || ' went from ' || t.from_state || ' (' || t.from_status || ', export '
        || {{ format_date("t.from_export_date", "%Y-%m-%d") }} || ') to ' || t.to_state || ' (' || t.to_status
        || ', export ' || {{ format_date("t.to_export_date", "%Y-%m-%d") }}
        || '); taxonomy/lifecycle.yaml does not allow '
        || t.from_state || ' -> ' || t.to_state
    from {{ ref('int_lifecycle_transitions') }} as t
    inner join {{ snapshot_ref('int_cmdb_ci_snapshot') }} as s
        on
            t.ci_id = s.ci_id and t.to_export_date <= s.export_date
            and (t.current_until is null or t.current_until > s.export_date)
    inner join {{ snapshot_ref('int_asset_matching') }} as m
        on s.as_of_date = m.as_of_date and m.record_id = 'cmdb:' || t.ci_id
    where not t.valid

    union all
    -- Unauthorised software (taxonomy unauthorised_software): one per device × product still seen
    -- within the stale window; the first matching rule by id names the reason. The patterns are
    -- matched once per distinct spelling, not once per install.
    select
        i.as_of_date,
        'unauthorised_software',
        coalesce(d.anchor, 'host:' || i.hostname_norm) || '|' || i.publisher_norm || '|' || i.product_norm,
        i.asset_id,
        i.product_raw_name || coalesce(' ' || i.version, '') || ' (' || i.publisher_name || ') installed on '
        || coalesce(i.hostname_norm, '?') || ', last seen ' || {{ format_date("i.last_observed_at", "%Y-%m-%d") }}
        || ': rule ' || m.rule_id || ', ' || m.reason
    from {{ snapshot_ref('int_software_installs') }} as i
    inner join (
        select
            n.publisher_name,
            n.product_raw_name,
            n.product_name,
            min_by(r.rule_id, r.rule_id) as rule_id,
            min_by(r.reason, r.rule_id) as reason
        from
            (select distinct
                publisher_name,
                product_raw_name,
                product_name
            from {{ snapshot_ref('int_software_installs') }}) as n
        inner join {{ ref('stg_taxonomy__unauthorised_software') }} as r
            on
                {{ regex_search("coalesce(n.publisher_name, '')", "r.publisher_pattern", "i") }}
                and (
                    {{ regex_search("coalesce(n.product_raw_name, '')", "r.product_pattern", "i") }}
                    or {{ regex_search("coalesce(n.product_name, '')", "r.product_pattern", "i") }}
                )
        group by all
    ) as m
        on
            m.publisher_name is not distinct from i.publisher_name
            and m.product_raw_name is not distinct from i.product_raw_name
            and m.product_name is not distinct from i.product_name
    left join d on i.as_of_date = d.as_of_date and i.asset_id = d.asset_id
    where i.in_window
    qualify row_number() over (
        partition by i.as_of_date, coalesce(d.anchor, 'host:' || i.hostname_norm), i.publisher_norm, i.product_norm
        order by i.last_observed_at desc, i.product_raw_name asc
    ) = 1
)

select
    'EX-' || substr(md5(exception_type || '|' || problem_key), 1, 12) as exception_id,
    *
from found
