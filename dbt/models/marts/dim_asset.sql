-- One row per real-world asset per snapshot date, after matching and governance.
select
    as_of_date,
    asset_id,
    asset_kind,
    asset_name,
    asset_class,
    class_path,
    classification_rule,
    serial_number,
    hostname,
    asset_tag,
    ci_id,
    manufacturer,
    model,
    os_name,
    lifecycle_state,
    lifecycle_tracking,
    owning_function as owner_function,
    accountable_owner,
    asset_manager,
    ownership_rule,
    cost_center,
    location,
    assigned_user,
    last_user as last_logged_on_user,
    in_cmdb,
    in_discovery,
    in_procurement,
    in_fixed_assets,
    seen_in_window,
    last_seen_at,
    warranty_end,
    order_date,
    cast(purchase_cost as decimal(18, 2)) as purchase_cost,
    cast(acquisition_cost as decimal(18, 2)) as acquisition_cost,
    match_rules,
    -- Retired/disposed CIs lacking the evidence taxonomy/lifecycle.yaml requires (empty = complete).
    ev.missing_evidence as missing_retirement_evidence
from {{ snapshot_ref('int_asset_governance') }} as g
left join (
    select
        as_of_date,
        asset_id,
        flatten({{ list_agg('missing_evidence') }}) as missing_evidence
    from {{ snapshot_ref('int_retirement_evidence') }}
    group by all
) as ev using (as_of_date, asset_id)
