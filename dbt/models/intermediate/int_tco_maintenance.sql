-- Maintenance and support per asset, snapshot date and source line (issue 13; docs/marts.md
-- "fct_asset_tco" maintenance_cost; docs/decisions/tco-gl-reconciliation.md), integer cents:
--   purchase_line   service purchase lines on the PO that bought the device, or under the
--                   contract (contract_id) of that PO's hardware lines, shared equally by the
--                   devices they cover
--   gl_rule:<class> GL lines that no such service line explains, matched by policies.yaml
--                   maintenance_gl_rules (first rule in written order), shared equally by the
--                   assets of the rule's class (and sub-classes) in service at the snapshot
-- Shares are exact (largest remainder, ties by asset id). in_window = within the 12 months to the
-- snapshot (the per-year figure); period = order month or GL period.
with assets as (
    select
        g.as_of_date,
        g.asset_id,
        g.asset_kind,
        g.class_path,
        g.lifecycle_state,
        d.po_number
    from {{ snapshot_ref('int_asset_governance') }} as g
    left join {{ snapshot_ref('int_device_assets') }} as d using (as_of_date, asset_id)
),

device_pos as (
    select
        as_of_date,
        asset_id,
        po_number
    from assets
    where asset_kind = 'device' and po_number is not null
),

device_contracts as (
    select distinct
        d.as_of_date,
        d.asset_id,
        p.contract_id
    from device_pos as d
    inner join
        {{ snapshot_ref('int_purchase_lines') }} as p
        on d.as_of_date = p.as_of_date and d.po_number = p.po_number
    where p.category = 'hardware' and p.contract_id is not null
),

service_lines as (
    select
        as_of_date,
        po_number,
        po_line,
        contract_id,
        {{ to_cents('line_cost_rc') }} as pool_cents,
        order_period as period,
        order_date >= {{ window_start('as_of_date') }} as in_window
    from {{ snapshot_ref('int_purchase_lines') }}
    where category = 'service' and order_date <= as_of_date
),

service_links as (
    select
        s.as_of_date,
        s.po_number,
        s.po_line,
        s.pool_cents,
        s.period,
        s.in_window,
        d.asset_id,
        1 as weight
    from service_lines as s inner join device_pos as d on s.as_of_date = d.as_of_date and s.po_number = d.po_number
    union
    select
        s.as_of_date,
        s.po_number,
        s.po_line,
        s.pool_cents,
        s.period,
        s.in_window,
        c.asset_id,
        1
    from service_lines as s
    inner join device_contracts as c on s.as_of_date = c.as_of_date and s.contract_id = c.contract_id
),

service_split as (
    {{ largest_remainder('service_links', 'as_of_date, po_number, po_line', 'asset_id') }}
),

-- GL maintenance and support that no linked service line explains (its PO is not one of theirs):
-- the first maintenance_gl_rules entry (written order) whose conditions hold names the class whose
-- assets in service at the snapshot share the line equally (policies.yaml; issue 13).
linked_pos as (
    select distinct
        as_of_date,
        po_number
    from service_links
),

gl_rule_hits as (
    select
        g.as_of_date,
        g.journal_id,
        g.line_no,
        g.amount_cents as pool_cents,
        g.period,
        g.period >= {{ format_date(window_start("g.as_of_date"), "%Y-%m") }} as in_window,
        min_by(r.class_id, r.position) as class_id
    from {{ snapshot_ref('int_gl_lines') }} as g
    inner join {{ ref('stg_taxonomy__maintenance_gl_rules') }} as r
        on
            (
                r.account_category is null
                or {{ regex_search("coalesce(g.account_category, '')", "r.account_category", "i") }}
            )
            and (r.gl_account is null or {{ regex_search("coalesce(g.gl_account, '')", "r.gl_account", "i") }})
            and (r.vendor is null or {{ regex_search("coalesce(g.vendor, '')", "r.vendor", "i") }})
            and (r.description is null or {{ regex_search("coalesce(g.description, '')", "r.description", "i") }})
    left join linked_pos as lp on g.as_of_date = lp.as_of_date and g.po_number = lp.po_number
    where lp.po_number is null and g.period <= {{ format_date("g.as_of_date", "%Y-%m") }}
    group by all
),

gl_rule_links as (
    select
        h.as_of_date,
        h.journal_id,
        h.line_no,
        h.pool_cents,
        h.period,
        h.in_window,
        h.class_id,
        a.asset_id,
        1 as weight
    from gl_rule_hits as h
    inner join assets as a
        on
            h.as_of_date = a.as_of_date
            and ('/' || a.class_path || '/') like ('%/' || h.class_id || '/%')
            and a.lifecycle_state in ('in_use', 'in_repair')
),

gl_rule_split as (
    {{ largest_remainder('gl_rule_links', 'as_of_date, journal_id, line_no', 'asset_id') }}
),

maintenance as (
    select
        as_of_date,
        asset_id,
        'purchase_line' as basis,
        po_number || '/' || po_line as source_ref,
        period,
        in_window,
        allocated_cents
    from service_split
    union all
    select
        as_of_date,
        asset_id,
        'gl_rule:' || class_id,
        journal_id || '/' || line_no,
        period,
        in_window,
        allocated_cents
    from gl_rule_split
)

select
    as_of_date,
    asset_id,
    basis,
    source_ref,
    period,
    in_window,
    allocated_cents,
    {{ from_cents('allocated_cents') }} as amount
from maintenance
