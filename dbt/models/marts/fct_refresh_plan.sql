-- Refresh plan per snapshot date (docs/marts.md "fct_refresh_plan"): every device or cloud
-- resource in service that is due for replacement within the policy horizons, by
--   warranty_end  CMDB warranty end on or before snapshot + warranty_horizon_months
--   end_of_life   end of life of its OS or model (taxonomy eol_products → reference eol_cycles)
--                 on or before snapshot + eol_horizon_months
--   age           in service (register, else order date) + class refresh_cycle_months on or
--                 before snapshot + age_horizon_months
-- Already-passed dates stay in the plan (is_overdue) until the asset is retired. The earliest
-- due date decides; every reason that applies is listed. The planned quarter is the due date's,
-- or the snapshot's when overdue. Replacement cost: latest purchase price of the same model,
-- else of the class (docs/decisions/refresh-plan.md). Money in the reporting currency.
with pol as (
    select * from {{ ref('int_policy') }}
),
assets as (
    select
        g.as_of_date, g.asset_id, g.asset_name, g.asset_kind, g.asset_class, g.class_path,
        g.serial_number, g.hostname, g.manufacturer, g.model, g.os_name, d.os_version,
        g.cost_center, g.lifecycle_state, g.warranty_end, g.refresh_cycle_months,
        coalesce(d.in_service_date, d.order_date) as service_start_date,
        case when d.in_service_date is not null then 'in_service_date'
             when d.order_date is not null then 'order_date' end as service_start_basis,
        {{ normalise_name('g.model') }} as model_norm
    from {{ ref('int_asset_governance') }} g
    join {{ ref('int_device_assets') }} d using (as_of_date, asset_id)
    where g.applies_to = 'device'
      and coalesce(g.lifecycle_state, '') not in ('retired', 'disposed')
),
eol as (
    -- The earliest end of life over the OS and the model.
    select as_of_date, asset_id,
        min(eol_due_date) as eol_due_date,
        arg_min(basis, (eol_due_date, basis)) as eol_basis,
        arg_min(eol_product, (eol_due_date, basis)) as eol_product,
        arg_min(eol_cycle, (eol_due_date, basis)) as eol_cycle,
        arg_min(eol_date, (eol_due_date, basis)) as eol_date
    from {{ ref('int_asset_eol') }}
    where eol_due_date is not null
    group by all
),
dated as (
    select
        a.*,
        e.eol_due_date, e.eol_basis, e.eol_product, e.eol_cycle, e.eol_date,
        cast(a.service_start_date + to_months(a.refresh_cycle_months) as date) as age_due_date,
        cast(a.as_of_date + to_months(pol.warranty_horizon_months) as date) as warranty_horizon_end,
        cast(a.as_of_date + to_months(pol.eol_horizon_months) as date) as eol_horizon_end,
        cast(a.as_of_date + to_months(pol.age_horizon_months) as date) as age_horizon_end
    from assets a
    cross join pol
    left join eol e using (as_of_date, asset_id)
),
reasons as (
    select as_of_date, asset_id, 'warranty_end' as reason, warranty_end as due_date
    from dated where warranty_end <= warranty_horizon_end
    union all
    select as_of_date, asset_id, 'end_of_life', eol_due_date
    from dated where eol_due_date <= eol_horizon_end
    union all
    select as_of_date, asset_id, 'age', age_due_date
    from dated where age_due_date <= age_horizon_end
),
due as (
    select as_of_date, asset_id,
        min(due_date) as due_date,
        arg_min(reason, (due_date, reason)) as reason,
        string_agg(reason, ',' order by due_date, reason) as reasons
    from reasons
    group by all
),
planned as (
    select d.*, u.due_date, u.reason, u.reasons,
        greatest(u.due_date, d.as_of_date) as planned_date
    from dated d
    join due u using (as_of_date, asset_id)
),
prices as (
    select * from {{ ref('int_replacement_prices') }}
)
select
    p.as_of_date,
    p.asset_id,
    p.asset_name,
    p.asset_class,
    p.class_path,
    p.serial_number,
    p.hostname,
    p.manufacturer,
    p.model,
    p.os_name,
    p.os_version,
    p.cost_center,
    p.lifecycle_state,
    strftime(p.planned_date, '%Y') || 'Q' || quarter(p.planned_date) as planned_quarter,
    p.due_date,
    p.due_date < p.as_of_date as is_overdue,
    p.reason,
    p.reasons,
    p.warranty_end,
    p.eol_basis,
    p.eol_product,
    p.eol_cycle,
    p.eol_date,
    p.eol_due_date,
    p.service_start_date,
    p.service_start_basis,
    p.refresh_cycle_months,
    p.age_due_date,
    cast(coalesce(pm.unit_price, pc.unit_price) as decimal(18, 2)) as replacement_cost_estimate,
    case when pm.unit_price is not null then 'model'
         when pc.unit_price is not null then 'class'
         else 'none' end as cost_basis,
    coalesce(pm.price_po_number, pc.price_po_number) as cost_po_number,
    coalesce(pm.price_order_date, pc.price_order_date) as cost_order_date,
    pol.reporting_currency as currency
from planned p
cross join pol
left join prices pm
    on pm.as_of_date = p.as_of_date and pm.price_basis = 'model' and pm.price_key = p.model_norm
left join prices pc
    on pc.as_of_date = p.as_of_date and pc.price_basis = 'class' and pc.price_key = p.asset_class
