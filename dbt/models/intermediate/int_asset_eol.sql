-- End of life of each device's operating system and model per snapshot date: the endoflife.date
-- product and cycle that taxonomy eol_products declares for "<os_name> <os_version>" (basis os)
-- and "<manufacturer> <model>" (basis model), and that cycle's end-of-life date from the
-- reference data. One row per asset and basis that a rule matched; cycle_found = false when the
-- rule names a cycle the reference data does not hold (no date can be known then).
-- Rules run once per distinct text, not once per device.
with devices as (
    select
        as_of_date,
        asset_id,
        nullif(trim(concat_ws(' ', os_name, os_version)), '') as os_text,
        nullif(trim(concat_ws(' ', manufacturer, model)), '') as model_text
    from {{ snapshot_ref('int_device_assets') }}
),

os_texts as (
    select
        os_text as text,
        {{ eol_product_case('os_text', 'os') }} as m
    from (
        select distinct os_text from devices
        where os_text is not null
    )
),

model_texts as (
    select
        model_text as text,
        {{ eol_product_case('model_text', 'model') }} as m
    from (
        select distinct model_text from devices
        where model_text is not null
    )
),

matched as (
    select
        d.as_of_date,
        d.asset_id,
        'os' as basis,
        d.os_text as matched_text,
        t.m
    from devices as d inner join os_texts as t on d.os_text = t.text
    where t.m is not null
    union all
    select
        d.as_of_date,
        d.asset_id,
        'model',
        d.model_text,
        t.m
    from devices as d inner join model_texts as t on d.model_text = t.text
    where t.m is not null
)

select
    m.as_of_date,
    m.asset_id,
    m.basis,
    m.matched_text,
    m.m.rule_id as eol_rule,
    m.m.product as eol_product,
    m.m.cycle as eol_cycle,
    c.product is not null as cycle_found,
    c.eol_date,
    c.eol_flag,
    c.eol_due_date
from matched as m
left join {{ snapshot_ref('int_eol_cycles') }} as c
    on m.as_of_date = c.as_of_date and m.m.product = c.product and m.m.cycle = c.cycle
