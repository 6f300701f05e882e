-- Installs and devices on end-of-life or soon-unsupported releases (issue 14.7): per snapshot,
-- every asset whose operating system, hardware model, firmware or installed software a declared
-- taxonomy eol_products rule maps to an endoflife.date product and release cycle, with that
-- cycle's dates and a status. One row per asset x basis x matched text (an install of two
-- releases of one product is two rows). Software counts only installs still seen (in_window).
-- Status at the snapshot date, in this order:
--   unknown          the rule names a cycle the loaded reference data does not hold
--   end_of_life      past end of life (eol date reached, or `eol: true`), no extended support left
--   extended_support past end of life, but inside paid extended support (extended_support_date)
--   eol_soon         end of life within policy eol_horizon_months
--   supported        otherwise (end of life later, or not announced)
with devices as (
    select
        as_of_date,
        asset_id,
        nullif(trim(concat_ws(' ', manufacturer, firmware)), '') as firmware_text,
        firmware
    from {{ snapshot_ref('int_device_assets') }}
    where firmware is not null
),

firmware_texts as (
    select
        firmware_text as text,
        {{ eol_product_case('firmware_text', 'firmware') }} as m
    from (select distinct firmware_text from devices)
),

installs as (
    select
        as_of_date,
        asset_id,
        publisher_name,
        product_name,
        version,
        nullif(trim(concat_ws(' ', product_name, version)), '') as software_text
    from {{ snapshot_ref('int_software_installs') }}
    where in_window and asset_id is not null
),

software_texts as (
    select
        software_text as text,
        {{ eol_product_case('software_text', 'software') }} as m
    from (
        select distinct software_text from installs
        where software_text is not null
    )
),

matched as (
    select
        as_of_date,
        asset_id,
        basis,
        matched_text,
        eol_rule,
        eol_product,
        eol_cycle,
        cast(null as string) as publisher,
        cast(null as string) as product,
        cast(null as string) as version
    from {{ snapshot_ref('int_asset_eol') }}
    union all
    select
        d.as_of_date,
        d.asset_id,
        'firmware',
        d.firmware_text,
        t.m.rule_id,
        t.m.product,
        t.m.cycle,
        null,
        null,
        d.firmware
    from devices as d inner join firmware_texts as t on d.firmware_text = t.text
    where t.m is not null
    union all
    select
        i.as_of_date,
        i.asset_id,
        'software',
        i.software_text,
        t.m.rule_id,
        t.m.product,
        t.m.cycle,
        i.publisher_name,
        i.product_name,
        i.version
    from installs as i inner join software_texts as t on i.software_text = t.text
    where t.m is not null
),

dated as (
    select
        m.*,
        c.product is not null as cycle_found,
        c.eol_due_date as eol_date,
        c.support_end_date,
        c.extended_support_date,
        cast(m.as_of_date + {{ months_interval("pol.eol_horizon_months") }} as date) as horizon_end
    from matched as m
    cross join {{ ref('int_policy') }} as pol
    left join {{ snapshot_ref('int_eol_cycles') }} as c
        on m.as_of_date = c.as_of_date and m.eol_product = c.product and m.eol_cycle = c.cycle
)

select
    d.as_of_date,
    d.asset_id,
    g.asset_name,
    g.asset_class,
    g.cost_center,
    g.owning_function as owner_function,
    g.accountable_owner,
    d.basis,
    d.matched_text,
    d.publisher,
    d.product,
    d.version,
    d.eol_rule,
    d.eol_product,
    d.eol_cycle,
    d.cycle_found,
    d.eol_date,
    d.support_end_date,
    d.extended_support_date,
    case
        when not d.cycle_found then 'unknown'
        when d.eol_date <= d.as_of_date and d.extended_support_date > d.as_of_date then 'extended_support'
        when d.eol_date <= d.as_of_date then 'end_of_life'
        when d.eol_date <= d.horizon_end then 'eol_soon'
        else 'supported'
    end as eol_status,
    case
        when d.eol_date is not null then cast({{ days_between("d.as_of_date", "d.eol_date") }} as integer)
    end as days_to_eol
from dated as d
inner join {{ snapshot_ref('int_asset_governance') }} as g on d.as_of_date = g.as_of_date and d.asset_id = g.asset_id
