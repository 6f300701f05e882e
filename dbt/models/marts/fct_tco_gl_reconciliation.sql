-- TCO against the general ledger per snapshot date, GL period and cost category (docs/marts.md
-- "fct_tco_gl_reconciliation"; docs/decisions/tco-gl-reconciliation.md; issue 13). Both sides
-- in the spend view, reporting currency, positive = cost:
--   gl_amount       GL lines of the period and account category known at the snapshot
--   tco_attributed  the spend fct_asset_tco puts on assets, in the month it was incurred:
--     hardware      acquisition cost of devices, in their order month (else in-service month)
--     software      perpetual license entitlements (quantity x unit cost), in their purchase month
--     saas          subscription-metric and term entitlements: a twelfth of the annual cost for
--                   every month of the term
--     maintenance   service purchase lines linked to devices (order month) and GL maintenance
--                   lines shared by maintenance_gl_rules (their period)
--     cloud         FOCUS charges of cloud resources in the inventory (charge month)
--   unexplained_difference = gl_amount - tco_attributed
-- Only the GL's periods are reported (months the GL export does not cover have nothing to
-- reconcile against). Categories outside policies.yaml tco_gl_scope show tco_attributed 0.
with pol as (
    select * from {{ ref('int_policy') }}
),

gl as (
    select
        as_of_date,
        period,
        account_category as cost_category,
        sum(amount_rc) as gl_amount,
        count(*) as gl_lines
    from {{ snapshot_ref('int_gl_lines') }}
    where period <= {{ format_date("as_of_date", "%Y-%m") }}
    group by all
),

periods as (
    select distinct
        as_of_date,
        period
    from gl
),

devices as (
    select
        t.as_of_date,
        {{ format_date("coalesce(d.order_date, t.in_service_date)", "%Y-%m") }} as period,
        'hardware' as cost_category,
        t.acquisition_cost as amount
    from {{ snapshot_ref('fct_asset_tco') }} as t
    left join {{ snapshot_ref('int_device_assets') }} as d using (as_of_date, asset_id)
    where t.asset_kind = 'device' and t.acquisition_cost <> 0
),

entitlements as (
    select
        as_of_date,
        license_metric,
        quantity,
        unit_cost_rc,
        purchase_date,
        coalesce(term_start, purchase_date) as term_start,
        term_end,
        term_end is not null or license_metric = 'subscription' as is_term
    from {{ snapshot_ref('int_license_entitlements') }}
    where purchase_date <= as_of_date
),

software as (
    select
        as_of_date,
        {{ format_date("purchase_date", "%Y-%m") }},
        'software',
        quantity * unit_cost_rc
    from entitlements
    where not is_term
),

saas as (
    -- one twelfth of the annual cost per month of the term, to the snapshot
    select
        e.as_of_date,
        p.period,
        'saas',
        e.quantity * e.unit_cost_rc / 12
    from entitlements as e
    inner join periods as p
        on
            e.as_of_date = p.as_of_date
            and p.period >= {{ format_date("e.term_start", "%Y-%m") }}
            and (e.term_end is null or p.period <= {{ format_date("e.term_end", "%Y-%m") }})
    where e.is_term
),

maintenance as (
    select
        as_of_date,
        period,
        'maintenance',
        amount
    from {{ snapshot_ref('int_tco_maintenance') }}
),

cloud as (
    select
        a.as_of_date,
        {{ format_date("c.charge_period_start", "%Y-%m") }},
        'cloud',
        c.billed_cost_rc
    from {{ snapshot_ref('int_device_assets') }} as a
    inner join {{ snapshot_ref('int_cloud_costs') }} as c
        on a.as_of_date = c.as_of_date and c.resource_key = {{ normalise_cloud_resource('a.cloud_instance_id') }}
    where a.cloud_instance_id is not null
),

tco as (
    select
        as_of_date,
        period,
        cost_category,
        sum(amount) as tco_attributed
    from (
        select * from devices
        union all
        select * from software
        union all
        select * from saas
        union all
        select * from maintenance
        union all
        select * from cloud
    )
    group by all
),

joined as (
    select
        p.as_of_date,
        p.period,
        c.cost_category,
        coalesce(g.gl_amount, 0) as gl_amount,
        coalesce(g.gl_lines, 0) as gl_lines,
        case
            when {{ list_has("pol.tco_gl_scope", "c.cost_category") }}
                then coalesce(t.tco_attributed, 0)
            else 0
        end as tco_attributed,
        {{ list_has("pol.tco_gl_scope", "c.cost_category") }} as in_tco_scope,
        pol.tco_gl_tolerance_pct,
        pol.reporting_currency
    from periods as p
    cross join (
        select distinct account_category as cost_category from {{ snapshot_ref('int_gl_lines') }}
        union
        select {{ unnest_list("scope.tco_gl_scope") }} from pol as scope
    ) as c
    cross join pol
    left join gl as g using (as_of_date, period, cost_category)
    left join tco as t using (as_of_date, period, cost_category)
)

select
    as_of_date,
    period,
    cost_category,
    in_tco_scope,
    gl_lines,
    cast(gl_amount as decimal(18, 2)) as gl_amount,
    cast(round(tco_attributed, 2) as decimal(18, 2)) as tco_attributed,
    cast(gl_amount - round(tco_attributed, 2) as decimal(18, 2)) as unexplained_difference,
    cast(
        case when gl_amount <> 0 then round(100 * (gl_amount - round(tco_attributed, 2)) / gl_amount, 2) end
        as decimal(18, 2)
    ) as unexplained_pct,
    cast(tco_gl_tolerance_pct as decimal(18, 2)) as tolerance_pct,
    not in_tco_scope
    or abs(gl_amount - round(tco_attributed, 2)) <= abs(gl_amount) * tco_gl_tolerance_pct / 100 as within_tolerance,
    reporting_currency as currency
from joined
