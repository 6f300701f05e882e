-- What replacing a device costs, per snapshot date: the latest hardware purchase unit price
-- (reporting currency) per normalised model, and per asset class. A purchase line's class is the
-- class of the device it was matched to (serialised lines), else the class most devices of the
-- same model have at that date. Latest = latest order date (then PO number and line, so ties
-- resolve the same way every build). Free lines (price 0 or less) are not prices.
with lines as (
    select
        p.as_of_date,
        p.po_number,
        p.po_line,
        p.order_date,
        p.unit_cost_rc,
        p.model,
        {{ normalise_name('p.model') }} as model_norm,
        p.match_record_id as record_id
    from {{ snapshot_ref('int_purchase_lines') }} as p
    where p.category = 'hardware' and p.unit_cost_rc > 0
),

gov as (
    select
        as_of_date,
        asset_id,
        asset_class,
        {{ normalise_name('model') }} as model_norm
    from {{ snapshot_ref('int_asset_governance') }}
    where applies_to = 'device'
),

matched_class as (
    select
        m.as_of_date,
        m.record_id,
        g.asset_class
    from {{ snapshot_ref('int_asset_matching') }} as m
    inner join gov as g using (as_of_date, asset_id)
    where m.record_source = 'procurement'
),

model_class as (
    -- The class devices of a model usually get (ties: the first class id).
    select
        as_of_date,
        model_norm,
        asset_class
    from (
        select
            as_of_date,
            model_norm,
            asset_class,
            count(*) as n
        from gov
        where model_norm is not null and asset_class is not null
        group by all
    )
    qualify row_number() over (
        partition by as_of_date, model_norm
        order by n desc, asset_class asc
    ) = 1
),

classed as (
    select
        l.*,
        coalesce(mc.asset_class, cm.asset_class) as asset_class
    from lines as l
    left join matched_class as mc on l.as_of_date = mc.as_of_date and l.record_id = mc.record_id
    left join model_class as cm on l.as_of_date = cm.as_of_date and l.model_norm = cm.model_norm
)

select
    as_of_date,
    'model' as price_basis,
    model_norm as price_key,
    max_by(unit_cost_rc, (order_date, po_number, po_line)) as unit_price,
    max_by(po_number, (order_date, po_number, po_line)) as price_po_number,
    max(order_date) as price_order_date
from classed
where model_norm is not null
group by all
union all
select
    as_of_date,
    'class',
    asset_class,
    max_by(unit_cost_rc, (order_date, po_number, po_line)),
    max_by(po_number, (order_date, po_number, po_line)),
    max(order_date)
from classed
where asset_class is not null
group by all
