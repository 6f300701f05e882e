-- What each license entitlement grants, per snapshot date (issue 13; docs/decisions/license-position.md):
-- its own product, plus the component products of a bundle. A bundle is
--   * a product declared with `bundle:` in taxonomy/licensing.yaml, or
--   * a Microsoft SKU (the entitlement's product is a SKU's product name or string id in
--     reference/sku_products) whose service plans taxonomy/licensing.yaml maps to products.
-- A component grant carries the bundle's quantity, metric, term and version rights and no price
-- of its own (price_unit_cost NULL): the money stays on the bundle's row, so it is never counted
-- twice. granted_by names the bundle product (NULL = the entitlement's own product).
with ent as (
    select * from {{ snapshot_ref('int_license_entitlements') }}
),

settings as (
    select * from {{ ref('stg_taxonomy__license_settings') }}
),

declared as (
    select distinct
        {{ normalise_name('b.publisher') }} as publisher_norm,
        {{ normalise_name('b.product') }} as product_norm,
        coalesce(pub.publisher_norm, {{ normalise_name('b.component_publisher') }}) as component_publisher_norm,
        {{ normalise_name('b.component_product') }} as component_product_norm,
        b.component_product as component_product_name
    from {{ ref('stg_taxonomy__license_bundles') }} as b
    left join {{ ref('int_publishers') }} as pub on pub.alias_norm = {{ normalise_name('b.component_publisher') }}
),

-- Microsoft SKU → product names granted: every spelling of the SKU (display name, string id).
sku_names as (
    select distinct
        {{ normalise_name('product_name') }} as sku_norm,
        service_plan_name
    from {{ ref('stg_reference__sku_products') }}
    union
    select distinct
        {{ normalise_name('sku_string_id') }},
        service_plan_name
    from {{ ref('stg_reference__sku_products') }}
    where sku_string_id is not null
),

sku_grants as (
    select distinct
        s.sku_norm,
        coalesce(pub.publisher_norm, {{ normalise_name('p.publisher') }}) as component_publisher_norm,
        {{ normalise_name('p.product') }} as component_product_norm,
        p.product as component_product_name
    from sku_names as s
    inner join
        {{ ref('stg_taxonomy__sku_service_plans') }} as p
        on upper(trim(p.service_plan_name)) = upper(trim(s.service_plan_name))
    left join {{ ref('int_publishers') }} as pub on pub.alias_norm = {{ normalise_name('p.publisher') }}
),

components as (
    select
        e.*,
        d.component_publisher_norm,
        d.component_product_norm,
        d.component_product_name
    from ent as e
    inner join declared as d on e.publisher_norm = d.publisher_norm and e.product_norm = d.product_norm
    union
    select
        e.*,
        g.component_publisher_norm,
        g.component_product_norm,
        g.component_product_name
    from ent as e
    inner join sku_grants as g on g.sku_norm in (e.product_raw_norm, e.product_norm)
    where g.component_product_norm <> e.product_norm
),

grants as (
    select
        as_of_date,
        entitlement_id,
        publisher_norm,
        product_norm,
        publisher_name,
        product_name,
        license_metric,
        quantity,
        is_active,
        term_end,
        maintenance_end,
        purchase_date,
        rights_scheme,
        rights_level,
        unit_cost_rc,
        maintenance_pct,
        cast(null as string) as granted_by,
        cast(null as decimal(18, 4)) as bundle_unit_cost_rc,
        cast(null as string) as bundle_publisher_norm,
        cast(null as string) as bundle_product_norm
    from ent
    union all
    select
        c.as_of_date,
        c.entitlement_id,
        c.component_publisher_norm,
        -- the component's canonical name through the product dictionary
        coalesce(pr.product_norm, c.component_product_norm),
        c.publisher_name,
        coalesce(pr.product, c.component_product_name),
        c.license_metric,
        c.quantity,
        c.is_active,
        c.term_end,
        c.maintenance_end,
        c.purchase_date,
        c.rights_scheme,
        c.rights_level,
        cast(null as decimal(18, 4)),
        c.maintenance_pct,
        c.product_name as granted_by,
        c.unit_cost_rc as bundle_unit_cost_rc,
        c.publisher_norm as bundle_publisher_norm,
        c.product_norm as bundle_product_norm
    from components as c
    left join {{ ref('int_products') }} as pr
        on c.component_publisher_norm = pr.publisher_norm and c.component_product_norm = pr.alias_norm
)

select
    g.*,
    g.term_end is null as is_perpetual,
    -- Annual support fee per unit, % of the price: the entitlement's own rate, else the policy's.
    coalesce(g.maintenance_pct, s.maintenance_pct) as maintenance_pct_applied
from grants as g
cross join settings as s
