-- Software seen installed per snapshot date: for each device and product, the latest observation
-- up to the date, with canonical publisher/product and the device's asset_id. in_window: the
-- install was observed within its discovery source's stale window, i.e. it is still there.
-- Names are normalised once per distinct spelling (a few hundred), not once per install row.
with names as {{ cte_materialized() }} (
    select
        name,
        {{ normalise_name('name') }} as name_norm
    from (
        select distinct publisher as name from {{ ref('stg_discovery__software_installs') }}
        union
        select distinct product from {{ ref('stg_discovery__software_installs') }}
    )
),

-- Every install row is typed, normalised and named once, then spread over the snapshot dates
-- that can see it: the per-row work does not repeat for each snapshot.
installs as {{ cte_materialized() }} (
    select
        s.*,
        {{ normalise_serial('s.serial_number') }} as serial_norm,
        {{ normalise_hostname('s.hostname') }} as hostname_norm,
        pn.name_norm as publisher_raw_norm,
        rn.name_norm as product_raw_norm
    from {{ ref('stg_discovery__software_installs') }} as s
    left join names as pn on s.publisher = pn.name
    left join names as rn on s.product = rn.name
),

named as (
    select
        i.*,
        coalesce(pub.publisher_norm, i.publisher_raw_norm) as publisher_norm,
        coalesce(pub.publisher, trim(i.publisher)) as publisher_name
    from installs as i
    left join {{ ref('int_publishers') }} as pub on i.publisher_raw_norm = pub.alias_norm
),

canon as {{ cte_materialized() }} (
    select
        n.*,
        coalesce(pr.product_norm, n.product_raw_norm) as product_norm,
        coalesce(pr.product, trim(n.product)) as product_name,
        coalesce(n.serial_norm, n.hostname_norm) as device_key,
        trim(n.product) as product_trimmed
    from named as n
    left join {{ ref('int_products') }} as pr
        on n.publisher_norm = pr.publisher_norm and n.product_raw_norm = pr.alias_norm
),

latest as (
    select
        d.as_of_date,
        c.publisher_norm,
        c.product_norm,
        c.device_key,
        max_by(c.discovery_source, c.observed_at) as discovery_source,
        max_by(c.publisher_name, c.observed_at) as publisher_name,
        max_by(c.product_name, c.observed_at) as product_name,
        -- The name as installed ("SQL Server 2022 Enterprise"): carries the release for version rights.
        max_by(c.product_trimmed, c.observed_at) as product_raw_name,
        max_by(c.serial_norm, c.observed_at) filter (where c.serial_norm is not null) as serial_norm,
        max_by(c.hostname_norm, c.observed_at) as hostname_norm,
        max_by(c.version, c.observed_at) filter (where c.version is not null) as version,
        min(c.install_date) as install_date,
        max(c.last_used_at) as last_used_at,
        max(c.observed_at) as last_observed_at
    from {{ snapshot_dates() }} as d
    inner join canon as c
        on
            d.as_of_date >= c.export_date
            and c.observed_at < d.as_of_date + interval 1 day
    group by d.as_of_date, c.publisher_norm, c.product_norm, c.device_key
),

-- Partial inventories (issue 14.3) carry only what changed: one that does not list packages
-- confirms the list unchanged, so the installs of the device's latest package list count as
-- seen at that time too (stale windows then run from the confirmation).
package_lists as (
    select
        as_of_date,
        device_key,
        max(last_observed_at) as listed_at
    from latest
    group by all
),

package_confirmations as (
    select
        d.as_of_date,
        coalesce({{ normalise_serial('o.serial_number') }}, {{ normalise_hostname('o.hostname') }}) as device_key,
        max(o.observed_at) as confirmed_at
    from {{ snapshot_dates() }} as d
    inner join {{ ref('stg_discovery__devices') }} as o
        on
            d.as_of_date >= o.export_date
            and o.observed_at < d.as_of_date + interval 1 day
    where o.is_partial and o.software_count is null
    group by all
),

seen as (
    select
        l.*,
        case
            when l.last_observed_at = pl.listed_at and pc.confirmed_at > l.last_observed_at
                then pc.confirmed_at
            else l.last_observed_at
        end as last_confirmed_at
    from latest as l
    left join package_lists as pl on l.as_of_date = pl.as_of_date and l.device_key = pl.device_key
    left join package_confirmations as pc on l.as_of_date = pc.as_of_date and l.device_key = pc.device_key
),

-- The device each install belongs to: by serial, else by hostname among current records.
by_serial as (
    select distinct
        as_of_date,
        serial_norm,
        asset_id
    from {{ snapshot_ref('int_asset_matching') }}
    where serial_norm is not null
),

by_host as (
    select
        as_of_date,
        hostname_norm,
        max_by(asset_id, seen_at) as asset_id
    from {{ snapshot_ref('int_asset_matching') }}
    where hostname_norm is not null and in_window
    group by all
)

select
    l.*,
    coalesce(s.asset_id, h.asset_id) as asset_id,
    -- Every discovery source has a window (taxonomy validation), so no default is needed here.
    coalesce(
        l.last_confirmed_at >= l.as_of_date - {{ days_interval("cast(sw.stale_days as integer)") }}, false
    ) as in_window
from seen as l
left join {{ ref('stg_taxonomy__stale_windows') }} as sw on l.discovery_source = sw.discovery_source
left join by_serial as s on l.as_of_date = s.as_of_date and l.serial_norm = s.serial_norm
-- "No serial" goes inside the join key: as a separate ON predicate it forces a nested-loop join.
left join by_host as h
    on
        l.as_of_date = h.as_of_date
        and h.hostname_norm = case when l.serial_norm is null then l.hostname_norm end
