-- License entitlements known at each snapshot date: canonical publisher and product through the
-- taxonomy dictionaries, reporting-currency unit cost, and whether the entitlement is in force.
-- version_rights is read as the newest release the entitlement covers (older ones by downgrade
-- rights): a release year ("2019", "Office 2021") or else a major version ("16", "v8.2");
-- rights_level NULL = no version limit (docs/decisions/license-position.md).
with ent as (
    {{ latest_records('stg_procurement__license_entitlements', 'r.entitlement_id') }}
),

named as (
    select
        e.*,
        coalesce(pub.publisher_norm, {{ normalise_name('e.publisher') }}) as publisher_norm,
        coalesce(pub.publisher, trim(e.publisher)) as publisher_name,
        {{ normalise_name('e.product') }} as product_raw_norm
    from ent as e
    left join {{ ref('int_publishers') }} as pub on pub.alias_norm = {{ normalise_name('e.publisher') }}
)

select
    n.*,
    coalesce(pr.product_norm, n.product_raw_norm) as product_norm,
    coalesce(pr.product, trim(n.product)) as product_name,
    case
        when {{ regex_search("n.version_rights", "'(^|[^0-9])(19|20)[0-9]{2}([^0-9]|$)'") }} then 'year'
        when {{ regex_search("n.version_rights", "'[0-9]'") }} then 'major'
    end as rights_scheme,
    cast(coalesce(
        nullif(regexp_extract(n.version_rights, '(^|[^0-9])((19|20)[0-9]{2})([^0-9]|$)', 2), ''),
        nullif(regexp_extract(n.version_rights, '([0-9]+)', 1), '')
    ) as integer) as rights_level,
    fx.rate as fx_rate,
    cast(round(n.unit_cost * fx.rate, 4) as decimal(18, 4)) as unit_cost_rc,
    (n.term_start is null or n.term_start <= n.as_of_date)
    and (n.term_end is null or n.term_end >= n.as_of_date)
    and n.purchase_date <= n.as_of_date as is_active
from named as n
left join {{ ref('int_products') }} as pr
    on n.publisher_norm = pr.publisher_norm and n.product_raw_norm = pr.alias_norm
left join {{ ref('int_fx_rates') }} as fx
    on
        fx.currency = upper(trim(n.currency))
        and {{ format_date("n.purchase_date", "%Y-%m") }} >= fx.from_period
        and {{ format_date("n.purchase_date", "%Y-%m") }} < fx.to_period
