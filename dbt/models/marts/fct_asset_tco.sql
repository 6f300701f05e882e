-- Total cost of ownership per asset and snapshot date (docs/marts.md "fct_asset_tco";
-- docs/decisions/depreciation-convention.md, docs/decisions/tco-gl-reconciliation.md). Money in
-- the reporting currency, positive = cost. Each cost lands on exactly one asset, so the roll-ups
-- (fct_asset_tco_rollup) add up:
--   devices          acquisition cost (register, else purchase line), depreciation, net book
--                    value, maintenance (service lines of the device's PO or contract, and GL
--                    maintenance lines that policies.yaml maintenance_gl_rules give its class),
--                    their share of the device- and core-metric licenses they consume (amortised
--                    over the license class's life), and the carrying amount written off at disposal
--   cloud resources  their FOCUS charges (by resource id)
--   entitlements     their own license cost (perpetual: amortised) less what devices carry;
--                    SaaS subscriptions (metric subscription) as cloud_saas_cost
-- tco_to_date = depreciation_to_date + disposal_cost + maintenance_cost + license_cost
--               + cloud_saas_cost (the expense view: capital cost enters through depreciation).
-- tco_annualised = depreciation_per_year + maintenance_per_year + license_per_year
--               + cloud_saas_per_year: what the asset costs a year at the snapshot (issue 13).
with pol as (
    select * from {{ ref('int_policy') }}
),
assets as (
    select
        g.as_of_date, g.asset_id, g.asset_kind, g.asset_class, g.model, g.cost_center,
        g.class_useful_life_months, g.class_depreciation_method, g.class_path, g.lifecycle_state,
        d.acquisition_cost as register_cost, d.in_service_date, d.useful_life_months as register_life,
        d.depreciation_method as register_method, d.disposal_date,
        d.purchase_cost, d.order_date, d.po_number, d.cloud_instance_id
    from {{ snapshot_ref('int_asset_governance') }} g
    left join {{ snapshot_ref('int_device_assets') }} d using (as_of_date, asset_id)
),
-- Hardware: cost, life and method from the register row, else the purchase line and the class.
hardware as (
    select
        a.*,
        case when a.register_cost is not null then 'fixed_asset_register'
             when a.purchase_cost is not null then 'purchase_line' end as cost_source,
        coalesce(a.register_cost, a.purchase_cost) as cost,
        case when a.register_cost is not null then a.in_service_date else a.order_date end as start_date,
        case when a.register_cost is not null then coalesce(a.register_life, a.class_useful_life_months)
             else a.class_useful_life_months end as life,
        a.register_cost is not null and a.disposal_date is not null
            and a.disposal_date <= a.as_of_date as is_disposed
    from assets a
    where a.asset_kind = 'device' and coalesce(a.register_cost, a.purchase_cost) is not null
),
hardware_months as (
    select
        h.*,
        case when h.life is null then 'expensed'
             else coalesce(case when h.register_cost is not null then h.register_method end,
                           h.class_depreciation_method, 'straight_line') end as method,
        case when h.is_disposed then {{ service_months('h.start_date', month_end_before('h.disposal_date')) }}
             else {{ service_months('h.start_date', 'h.as_of_date') }} end as months
    from hardware h
),
depreciation as (
    select
        m.*,
        least(m.months, m.life) as n,
        -- declining balance: rate = factor / life per month on the opening net book value (at most
        -- 100 %), switching to straight-line over the remaining life from month k, the first month
        -- in which that charge is the larger: k = ceil(life - life / factor)
        least(cast(pol.declining_balance_factor as double) / m.life, 1.0) as db_rate,
        greatest(0, least(m.life, cast(ceil(m.life - m.life / cast(pol.declining_balance_factor as double)) as integer))) as db_k
    from hardware_months m
    cross join pol
),
hardware_cost as (
    select
        d.as_of_date, d.asset_id, d.cost_source, d.start_date, d.method, d.life, d.months,
        d.cost as acquisition_cost,
        d.is_disposed, d.disposal_date,
        cast(case
            when d.method = 'expensed' then d.cost
            -- straight-line in integer cents, rounded half up: cost x n / life, capped by n <= life
            when d.method = 'straight_line' then
                {{ from_cents('(2 * ' ~ to_cents('d.cost') ~ ' * d.n + d.life) ' ~ int_div_op() ~ ' (2 * d.life)') }}
            else {{ round_double("d.cost - case
                when d.n <= d.db_k then cast(d.cost as double) * pow(1 - d.db_rate, d.n)
                else cast(d.cost as double) * pow(1 - d.db_rate, d.db_k) * (d.life - d.n) / nullif(d.life - d.db_k, 0)
            end", 2) }}
        end as decimal(18, 2)) as depreciation_to_date,
        -- the charge of the snapshot month x 12: 0 once fully depreciated, disposed or expensed
        cast(case
            when d.is_disposed or d.method = 'expensed' or d.months < 1 or d.months > d.life then 0
            when d.method = 'straight_line' then {{ round_double(div_double("d.cost * 12", "d.life"), 2) }}
            else {{ round_double('12 * (' ~ db_nbv('d.cost', 'd.life', '(d.months - 1)', 'd.db_rate', 'd.db_k')
                                 ~ ' - ' ~ db_nbv('d.cost', 'd.life', 'd.months', 'd.db_rate', 'd.db_k') ~ ')', 2) }}
        end as decimal(18, 2)) as depreciation_per_year
    from depreciation d
),
-- Maintenance: service lines linked by PO or contract, and GL lines by maintenance_gl_rules
-- (int_tco_maintenance), the last 12 months apart for the per-year figure.
maintenance as (
    select as_of_date, asset_id, sum(allocated_cents) as cents,
        sum(allocated_cents) filter (where in_window) as cents_12m
    from {{ snapshot_ref('int_tco_maintenance') }}
    group by all
),
-- Licenses: cost to date per entitlement. Perpetual: quantity x unit cost once purchased. With a
-- term (or metric subscription; unit_cost is then annual): quantity x unit cost x months of the
-- term to date / 12 (monthly convention).
entitlements as (
    select
        e.as_of_date,
        -- the asset id int_assets gives an entitlement
        'AS-' || substr(md5('entitlement:' || e.entitlement_id), 1, 12) as asset_id,
        e.publisher_norm, e.product_norm, e.license_metric, e.quantity, e.is_active, e.term_end,
        coalesce(e.term_start, e.purchase_date) as start_date,
        e.term_end is not null or e.license_metric = 'subscription' as is_term,
        case when e.term_end is not null or e.license_metric = 'subscription'
             then {{ service_months('coalesce(e.term_start, e.purchase_date)', 'least(e.as_of_date, coalesce(e.term_end, e.as_of_date))') }}
             else {{ service_months('e.purchase_date', 'e.as_of_date') }} end as months,
        e.purchase_date <= e.as_of_date as is_purchased,
        e.unit_cost_rc
    from {{ snapshot_ref('int_license_entitlements') }} e
),
entitlement_cost as (
    select e.*,
        case when not e.is_purchased then 0
             -- twelfths of the annual cost in integer cents, rounded half up
             when e.is_term then (2 * {{ to_cents('e.quantity * e.unit_cost_rc * e.months') }} + 12) {{ int_div_op() }} 24
             -- perpetual: amortised straight-line over the license class's life (issue 13), in
             -- integer cents rounded half up; no life known: the whole cost at once
             when g.class_useful_life_months is null then {{ to_cents('e.quantity * e.unit_cost_rc') }}
             else (2 * {{ to_cents('e.quantity * e.unit_cost_rc') }} * least(e.months, g.class_useful_life_months)
                   + g.class_useful_life_months) {{ int_div_op() }} (2 * g.class_useful_life_months)
        end as cost_cents,
        -- per year at the snapshot: a term's annual cost while in force; a perpetual license's
        -- amortisation while within its life (cents, rounded half up)
        case when not e.is_purchased then 0
             when e.is_term then case when e.is_active then {{ to_cents('e.quantity * e.unit_cost_rc') }} else 0 end
             when g.class_useful_life_months is null or e.months > g.class_useful_life_months then 0
             else (2 * {{ to_cents('e.quantity * e.unit_cost_rc') }} * 12 + g.class_useful_life_months)
                  {{ int_div_op() }} (2 * g.class_useful_life_months)
        end as year_cents
    from entitlements e
    left join assets g using (as_of_date, asset_id)
),
entitlement_measures as (
    select *, 'to_date' as measure, cost_cents as cents from entitlement_cost
    union all
    select *, 'per_year', year_cents from entitlement_cost
),
-- Device- and core-metric licenses: each product's cost to date is shared by its units, the
-- larger of the units in force and the units consumed; each consuming device carries its units'
-- share, the rest (unused units, consumers that are no asset) stays on the entitlements.
product_pools as (
    select as_of_date, publisher_norm, product_norm, license_metric, measure,
        sum(cents) as pool_cents,
        coalesce(sum(quantity) filter (where is_active), 0) as entitled_units
    from entitlement_measures
    where license_metric in ('device', 'core')
    group by all
    having sum(cents) <> 0
),
consumers as (
    select c.as_of_date, c.publisher_norm, c.product_norm, c.license_metric, c.units, a.asset_id
    from {{ snapshot_ref('int_license_consumers') }} c
    left join assets a on a.as_of_date = c.as_of_date and a.asset_id = c.consumer_key
    where c.license_metric in ('device', 'core')
),
consumed as (
    select as_of_date, publisher_norm, product_norm, license_metric,
        sum(units) as units_all,
        coalesce(sum(units) filter (where asset_id is not null), 0) as units_assets
    from consumers
    group by all
),
license_members as (
    select p.as_of_date, p.publisher_norm, p.product_norm, p.license_metric, p.measure, p.pool_cents,
        c.asset_id as member, cast(round(c.units * 10000) as {{ type_hugeint() }}) as weight
    from product_pools p
    join consumers c using (as_of_date, publisher_norm, product_norm, license_metric)
    where c.asset_id is not null
    union all
    select p.as_of_date, p.publisher_norm, p.product_norm, p.license_metric, p.measure, p.pool_cents,
        '~entitlements',
        case when greatest(p.entitled_units, coalesce(u.units_all, 0)) = 0 then 10000
             else cast(round((greatest(p.entitled_units, coalesce(u.units_all, 0)) - coalesce(u.units_assets, 0)) * 10000) as {{ type_hugeint() }})
        end
    from product_pools p
    left join consumed u using (as_of_date, publisher_norm, product_norm, license_metric)
),
license_split as (
    {{ largest_remainder('license_members', 'as_of_date, publisher_norm, product_norm, license_metric, measure', 'member') }}
),
license_rest as (
    select e.as_of_date, e.asset_id, e.measure, s.allocated_cents as pool_cents, e.cents as weight,
        e.publisher_norm, e.product_norm, e.license_metric
    from license_split s
    join entitlement_measures e using (as_of_date, publisher_norm, product_norm, license_metric, measure)
    where s.member = '~entitlements' and s.allocated_cents <> 0
),
license_rest_split as (
    {{ largest_remainder('license_rest', 'as_of_date, publisher_norm, product_norm, license_metric, measure', 'asset_id') }}
),
device_licenses as (
    select as_of_date, member as asset_id,
        coalesce(sum(allocated_cents) filter (where measure = 'to_date'), 0) as cents,
        coalesce(sum(allocated_cents) filter (where measure = 'per_year'), 0) as year_cents
    from license_split
    where member <> '~entitlements'
    group by all
),
rest_by_entitlement as (
    select as_of_date, asset_id,
        coalesce(sum(allocated_cents) filter (where measure = 'to_date'), 0) as cents,
        coalesce(sum(allocated_cents) filter (where measure = 'per_year'), 0) as year_cents
    from license_rest_split
    group by all
),
entitlement_rows as (
    select e.as_of_date, e.asset_id, e.start_date, e.months, e.license_metric,
        case when e.license_metric in ('device', 'core') then coalesce(r.cents, 0) else e.cost_cents end as cents,
        case when e.license_metric in ('device', 'core') then coalesce(r.year_cents, 0) else e.year_cents end as year_cents
    from entitlement_cost e
    left join rest_by_entitlement r using (as_of_date, asset_id)
),
-- Cloud resources: their FOCUS charges, matched on the resource id's last segment.
cloud as (
    select a.as_of_date, a.asset_id,
        cast(min(c.charge_period_start) as date) as first_charge_date,
        sum(c.billed_cost_rc) as spend,
        coalesce(sum(c.billed_cost_rc) filter (where c.charge_period_start >= {{ window_start('a.as_of_date') }}), 0) as spend_12m
    from assets a
    join {{ snapshot_ref('int_cloud_costs') }} c
        on c.as_of_date = a.as_of_date and c.resource_key = {{ normalise_cloud_resource('a.cloud_instance_id') }}
    where a.cloud_instance_id is not null
    group by all
),
combined as (
    select
        a.as_of_date, a.asset_id, a.asset_kind, a.asset_class, a.model, a.cost_center,
        case when h.cost_source is not null then h.cost_source
             when er.asset_id is not null then 'license_entitlement'
             when cl.asset_id is not null then 'cloud_billing'
             else 'none' end as cost_source,
        coalesce(h.start_date, er.start_date, cl.first_charge_date) as in_service_date,
        case when h.is_disposed then h.disposal_date end as disposal_date,
        h.method as depreciation_method,
        h.life as useful_life_months,
        coalesce(h.months, er.months, {{ service_months('cl.first_charge_date', 'a.as_of_date') }}) as months_in_service,
        coalesce(h.acquisition_cost, 0) as acquisition_cost,
        coalesce(h.depreciation_to_date, 0) as depreciation_to_date,
        case when h.is_disposed then 0 else coalesce(h.acquisition_cost - h.depreciation_to_date, 0) end as net_book_value,
        coalesce({{ from_cents('mt.cents') }}, 0) as maintenance_cost,
        coalesce({{ from_cents('dl.cents') }}, 0)
            + case when er.license_metric <> 'subscription' then {{ from_cents('er.cents') }} else 0 end as license_cost,
        coalesce(cast(round(cl.spend, 2) as decimal(18, 2)), 0)
            + case when er.license_metric = 'subscription' then {{ from_cents('er.cents') }} else 0 end as cloud_saas_cost,
        case when h.is_disposed then h.acquisition_cost - h.depreciation_to_date else 0 end as disposal_cost,
        -- per year at the snapshot (issue 13)
        coalesce(h.depreciation_per_year, 0) as depreciation_per_year,
        coalesce({{ from_cents('mt.cents_12m') }}, 0) as maintenance_per_year,
        coalesce({{ from_cents('dl.year_cents') }}, 0)
            + case when er.license_metric <> 'subscription' then {{ from_cents('er.year_cents') }} else 0 end as license_per_year,
        -- cloud: the charges of the last 12 months, scaled to a year for a resource charged for fewer
        coalesce(cast(round(cl.spend_12m * 12 / greatest(1, least(12,
            {{ service_months('cl.first_charge_date', 'a.as_of_date') }})), 2) as decimal(18, 2)), 0)
            + case when er.license_metric = 'subscription' then {{ from_cents('er.year_cents') }} else 0 end as cloud_saas_per_year
    from assets a
    left join hardware_cost h using (as_of_date, asset_id)
    left join maintenance mt using (as_of_date, asset_id)
    left join device_licenses dl using (as_of_date, asset_id)
    left join entitlement_rows er using (as_of_date, asset_id)
    left join cloud cl using (as_of_date, asset_id)
)
select
    c.as_of_date,
    c.asset_id,
    c.asset_kind,
    c.asset_class,
    c.model,
    c.cost_center,
    c.cost_source,
    c.in_service_date,
    c.disposal_date,
    c.depreciation_method,
    cast(c.useful_life_months as integer) as useful_life_months,
    cast(c.months_in_service as integer) as months_in_service,
    cast(c.acquisition_cost as decimal(18, 2)) as acquisition_cost,
    cast(c.depreciation_to_date as decimal(18, 2)) as depreciation_to_date,
    cast(c.net_book_value as decimal(18, 2)) as net_book_value,
    cast(c.maintenance_cost as decimal(18, 2)) as maintenance_cost,
    cast(c.license_cost as decimal(18, 2)) as license_cost,
    cast(c.cloud_saas_cost as decimal(18, 2)) as cloud_saas_cost,
    cast(c.disposal_cost as decimal(18, 2)) as disposal_cost,
    cast(c.depreciation_to_date + c.disposal_cost + c.maintenance_cost + c.license_cost + c.cloud_saas_cost
         as decimal(18, 2)) as tco_to_date,
    cast(c.depreciation_per_year + c.maintenance_per_year + c.license_per_year + c.cloud_saas_per_year
         as decimal(18, 2)) as tco_annualised,
    cast(c.depreciation_per_year as decimal(18, 2)) as depreciation_per_year,
    cast(c.maintenance_per_year as decimal(18, 2)) as maintenance_per_year,
    cast(c.license_per_year as decimal(18, 2)) as license_per_year,
    cast(c.cloud_saas_per_year as decimal(18, 2)) as cloud_saas_per_year,
    pol.reporting_currency as currency
from combined c
cross join pol
