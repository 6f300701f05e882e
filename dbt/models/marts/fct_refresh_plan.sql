-- Refresh plan per snapshot date (docs/marts.md "fct_refresh_plan"): every device or cloud
-- resource in service that is due within the policy horizons, by
--   warranty_end  CMDB warranty end on or before snapshot + warranty_horizon_months
--   end_of_life   end of life of its OS or model (taxonomy eol_products → reference eol_cycles)
--                 on or before snapshot + eol_horizon_months
--   age           in service (register, else order date) + class refresh_cycle_months on or
--                 before snapshot + age_horizon_months
-- Already-passed dates stay in the plan (is_overdue, due_status = backlog) until the asset is
-- retired; the rest is newly_due. The earliest due date decides; every reason is listed.
-- What to do (issue 13; docs/decisions/refresh-plan.md):
--   replace            age, the model's end of life, or the OS's end of life on a model family
--                      that cannot run a supported release (asset_classes.yaml model_families)
--   os_upgrade         the OS's end of life alone, on a model that can take a supported release
--                      (cost: policies.yaml os_upgrade_cost)
--   extend_or_replace  warranty end without a replace reason (policies.yaml warranty_end_action;
--                      `replace` makes it a replacement)
-- Replacements are spread over quarters: at most refresh_capacity_pct_per_quarter of the devices
-- in scope per quarter, first come first served by due date (the backlog first), never before
-- the due quarter. Other actions are planned in the due quarter (the first plannable one, after the
-- snapshot's, when overdue or due in the snapshot's quarter).
-- Replacement cost: latest purchase price of the same model, else of the class. Money in the
-- reporting currency.
with pol as (
    select * from {{ ref('int_policy') }}
),

assets as (
    select
        g.as_of_date,
        g.asset_id,
        g.asset_name,
        g.asset_kind,
        g.asset_class,
        g.class_path,
        g.serial_number,
        g.hostname,
        g.manufacturer,
        g.model,
        g.os_name,
        d.os_version,
        g.cost_center,
        g.lifecycle_state,
        g.warranty_end,
        g.refresh_cycle_months,
        coalesce(d.in_service_date, d.order_date) as service_start_date,
        case
            when d.in_service_date is not null then 'in_service_date'
            when d.order_date is not null then 'order_date'
        end as service_start_basis,
        {{ normalise_name('g.model') }} as model_norm
    from {{ snapshot_ref('int_asset_governance') }} as g
    inner join {{ snapshot_ref('int_device_assets') }} as d using (as_of_date, asset_id)
    where
        g.applies_to = 'device'
        and coalesce(g.lifecycle_state, '') not in ('retired', 'disposed')
),

eol as (
    -- The earliest end of life over the OS and the model, and each basis's own date.
    select
        as_of_date,
        asset_id,
        min(eol_due_date) filter (where basis = 'os') as os_eol_due_date,
        min(eol_due_date) filter (where basis = 'model') as model_eol_due_date,
        min(eol_due_date) as eol_due_date,
        min_by(basis, (eol_due_date, basis)) as eol_basis,
        min_by(eol_product, (eol_due_date, basis)) as eol_product,
        min_by(eol_cycle, (eol_due_date, basis)) as eol_cycle,
        min_by(eol_date, (eol_due_date, basis)) as eol_date
    from {{ snapshot_ref('int_asset_eol') }}
    where eol_due_date is not null
    group by all
),

dated as (
    select
        a.*,
        e.eol_due_date,
        e.eol_basis,
        e.eol_product,
        e.eol_cycle,
        e.eol_date,
        e.os_eol_due_date,
        e.model_eol_due_date,
        cast(a.service_start_date + {{ months_interval("a.refresh_cycle_months") }} as date) as age_due_date,
        cast(a.as_of_date + {{ months_interval("pol.warranty_horizon_months") }} as date) as warranty_horizon_end,
        cast(a.as_of_date + {{ months_interval("pol.eol_horizon_months") }} as date) as eol_horizon_end,
        cast(a.as_of_date + {{ months_interval("pol.age_horizon_months") }} as date) as age_horizon_end
    from assets as a
    cross join pol
    left join eol as e using (as_of_date, asset_id)
),

reasons as (
    select
        as_of_date,
        asset_id,
        'warranty_end' as reason,
        warranty_end as due_date
    from dated
    where warranty_end <= warranty_horizon_end
    union all
    select
        as_of_date,
        asset_id,
        'end_of_life',
        eol_due_date
    from dated
    where eol_due_date <= eol_horizon_end
    union all
    select
        as_of_date,
        asset_id,
        'age',
        age_due_date
    from dated
    where age_due_date <= age_horizon_end
),

due as (
    select
        as_of_date,
        asset_id,
        min(due_date) as due_date,
        min_by(reason, (due_date, reason)) as reason,
        {{ string_agg("reason", "','", "due_date, reason") }} as reasons
    from reasons
    group by all
),

-- Model families that cannot run a supported release of the OS (first family in written order
-- whose model and OS patterns both match).
families as (
    select
        d.as_of_date,
        d.asset_id,
        min_by(f.family_id, f.position) as os_family_id,
        min_by(f.os_upgrade, f.position) as os_upgrade_possible
    from dated as d
    inner join {{ ref('stg_taxonomy__model_families') }} as f
        on
            {{ regex_search("concat_ws(' ', d.manufacturer, d.model)", "f.model_pattern", "i") }}
            and {{ regex_search("concat_ws(' ', d.os_name, d.os_version)", "f.os_pattern", "i") }}
    where d.os_eol_due_date is not null
    group by all
),

actions as (
    select
        d.*,
        u.due_date,
        u.reason,
        u.reasons,
        fm.os_family_id,
        d.os_eol_due_date <= d.eol_horizon_end as os_eol_due,
        coalesce(fm.os_upgrade_possible, true) as os_upgrade_possible,
        case
            when
                d.age_due_date <= d.age_horizon_end or d.model_eol_due_date <= d.eol_horizon_end
                or (d.os_eol_due_date <= d.eol_horizon_end and not coalesce(fm.os_upgrade_possible, true))
                then 'replace'
            when d.warranty_end <= d.warranty_horizon_end
                then case when pol.warranty_end_action = 'replace' then 'replace' else 'extend_or_replace' end
            else 'os_upgrade'
        end as action
    from dated as d
    cross join pol
    inner join due as u using (as_of_date, asset_id)
    left join families as fm using (as_of_date, asset_id)
),

-- Capacity: devices in scope of the plan (in service, not retired or disposed) per snapshot.
capacity as (
    select
        a.as_of_date,
        greatest(1, cast(ceil(count(*) * pol.refresh_capacity_pct_per_quarter / 100) as bigint)) as per_quarter
    from assets as a cross join pol
    group by a.as_of_date, pol.refresh_capacity_pct_per_quarter
),

-- Quarters as integers (year x 4 + quarter - 1). The first plannable quarter is the one after the
-- snapshot's: the as-of quarter has begun (its budget is spent or committed), so the backlog and
-- anything due in it arrive in the next full quarter (decisions/refresh-plan.md).
queued as (
    select
        a.as_of_date,
        a.asset_id,
        greatest(
            year(a.due_date) * 4 + quarter(a.due_date),
            year(a.as_of_date) * 4 + quarter(a.as_of_date) + 1
        ) - 1 as arrival_q,
        row_number() over (
            partition by a.as_of_date
            order by a.due_date, a.asset_id
        ) - 1 as queue_pos
    from actions as a
    where a.action = 'replace'
),

-- First come first served with a fixed capacity c (Lindley's recursion in closed form): with
-- A(q) the replacements arrived up to quarter q and C(q) = A(q) - c x (quarters so far), the
-- backlog after q is C(q) - min(0, min C up to q), and D(q) = A(q) - backlog = served up to q.
-- The replacement at queue position r is served in the first quarter with D(q) > r.
quarter_span as (
    select
        q.as_of_date,
        min(q.arrival_q) as q0,
        max(q.arrival_q) + cast(ceil(count(*) / c.per_quarter) as bigint) as q1,
        c.per_quarter
    from queued as q inner join capacity as c using (as_of_date)
    group by q.as_of_date, c.per_quarter
),

quarters as (
    select
        s.as_of_date,
        s.per_quarter,
        s.q0,
        {{ unnest_range("s.q0", "s.q1 + 1") }} as q
    from quarter_span as s
),

arrivals as (
    select
        qs.as_of_date,
        qs.q,
        qs.per_quarter,
        qs.q0,
        count(qu.asset_id) as arrived
    from quarters as qs
    left join queued as qu on qs.as_of_date = qu.as_of_date and qs.q = qu.arrival_q
    group by all
),

served as (
    select
        as_of_date,
        q,
        -- each window aggregate in brackets: Spark reads `over w - x` as one (invalid) window name
        (sum(arrived) over w) - (
            (sum(arrived) over w) - per_quarter * (q - q0 + 1)
            - least(0, min(sum_c) over w)
        ) as served_to_date
    from (
        select
            *,
            sum(arrived) over (
                partition by as_of_date
                order by q
            ) - per_quarter * (q - q0 + 1) as sum_c
        from arrivals
    )
    window w as (
        partition by as_of_date
        order by q rows between unbounded preceding and current row
    )
),

served_ranges as (
    select
        as_of_date,
        q,
        coalesce(lag(served_to_date) over (
            partition by as_of_date
            order by q
        ), 0) as served_before,
        served_to_date
    from served
),

scheduled as (
    select
        qu.as_of_date,
        qu.asset_id,
        r.q as planned_q
    from queued as qu
    inner join served_ranges as r
        on qu.as_of_date = r.as_of_date and qu.queue_pos >= r.served_before and qu.queue_pos < r.served_to_date
),

planned as (
    select
        a.*,
        coalesce(
            sc.planned_q,
            greatest(
                year(a.due_date) * 4 + quarter(a.due_date),
                year(a.as_of_date) * 4 + quarter(a.as_of_date) + 1
            ) - 1
        )
            as planned_q
    from actions as a
    left join scheduled as sc using (as_of_date, asset_id)
),

prices as (
    select * from {{ snapshot_ref('int_replacement_prices') }}
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
    cast(p.planned_q {{ int_div_op() }} 4 as string) || 'Q' || cast(p.planned_q % 4 + 1 as string) as planned_quarter,
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
    -- new hardware only: an os_upgrade replaces nothing (0, cost_basis os_upgrade)
    cast(
        case when p.action = 'os_upgrade' then 0 else coalesce(pm.unit_price, pc.unit_price) end
        as decimal(18, 2)
    ) as replacement_cost_estimate,
    case
        when p.action = 'os_upgrade' then 'os_upgrade'
        when pm.unit_price is not null then 'model'
        when pc.unit_price is not null then 'class'
        else 'none'
    end as cost_basis,
    case when p.action <> 'os_upgrade' then coalesce(pm.price_po_number, pc.price_po_number) end as cost_po_number,
    case when p.action <> 'os_upgrade' then coalesce(pm.price_order_date, pc.price_order_date) end as cost_order_date,
    pol.reporting_currency as currency,
    -- issue 13
    p.action,
    case when p.due_date < p.as_of_date then 'backlog' else 'newly_due' end as due_status,
    p.action <> 'replace' and coalesce(p.os_eol_due, false) and p.os_upgrade_possible as needs_os_upgrade,
    case when not p.os_upgrade_possible then p.os_family_id end as os_upgrade_blocked_by,
    cast(case
        when p.action = 'os_upgrade' then pol.os_upgrade_cost
        else coalesce(pm.unit_price, pc.unit_price)
    end as decimal(18, 2
    )) as planned_cost,
    cast((year(p.due_date) * 4 + quarter(p.due_date) - 1) {{ int_div_op() }} 4 as string) || 'Q'
    || cast(quarter(p.due_date) as string) as due_quarter
from planned as p
cross join pol
left join prices as pm
    on p.as_of_date = pm.as_of_date and pm.price_basis = 'model' and p.model_norm = pm.price_key
left join prices as pc
    on p.as_of_date = pc.as_of_date and pc.price_basis = 'class' and p.asset_class = pc.price_key
