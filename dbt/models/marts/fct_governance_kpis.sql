-- The numbers the ITAM governance meeting reviews, defined once, at the grain the dashboards
-- filter on: KPI × snapshot date × cost center × asset class × accountable owner (issue 13.6).
-- Every tile of the dashboards is a sum over these rows under the page's filters; the estate
-- totals with their change and assessment (fct_governance_kpi_summary) are the same sums.
--
-- `breakdown` says which dimensions a KPI really has. A KPI of products, rules or quarters
-- (license position, data quality, SaaS categories, sign-offs) has none: its one row per date
-- carries NULL dimensions and the dashboards say on its tile that filters do not apply. Ratios
-- keep their numerator and denominator so that any filtered sum is still the right ratio.
--
-- Exceptions explained by a silent feed (the asset is stale only because every discovery
-- source that sees it stopped sending, fct_stale_records.silent_feed) are one finding of that
-- feed, not one per asset: they are counted apart (silent_feed_exceptions, per feed) and left
-- out of open and new exceptions, so one stopped feed does not read as the estate worsening.
with dates as (
    select
        as_of_date,
        lag(as_of_date) over (
            order by as_of_date
        ) as prior_as_of_date
    from {{ ref('int_as_of_dates') }}
),

assets as (
    select
        as_of_date,
        asset_id,
        cost_center,
        asset_class,
        accountable_owner,
        lifecycle_state,
        asset_kind,
        in_cmdb,
        seen_in_window
    from {{ ref('dim_asset') }}
),

in_service as (
    select * from assets
    where coalesce(lifecycle_state, '') not in ('retired', 'disposed')
),

silent as (
    select
        as_of_date,
        asset_id,
        min(silent_feed) as silent_feed
    from {{ ref('fct_stale_records') }}
    where silent_feed is not null and asset_id is not null
    group by all
),

exceptions as (
    select
        e.as_of_date,
        e.status,
        e.counts_as_open,
        e.last_detected_on,
        e.cost_center,
        a.asset_class,
        a.accountable_owner,
        s.silent_feed,
        d.prior_as_of_date
    from {{ ref('fct_reconciliation_exceptions') }} as e
    inner join dates as d using (as_of_date)
    left join assets as a on e.as_of_date = a.as_of_date and e.asset_id = a.asset_id
    left join silent as s on e.as_of_date = s.as_of_date and e.asset_id = s.asset_id
),

-- Dimensions of an asset-level mart row: its own cost center when it has one (as the dashboards'
-- filters read it), class and owner from dim_asset at the same date.
tco as (
    select
        t.as_of_date,
        t.cost_center,
        a.asset_class,
        a.accountable_owner,
        t.tco_to_date,
        t.net_book_value
    from {{ ref('fct_asset_tco') }} as t
    left join assets as a using (as_of_date, asset_id)
),

-- The refresh plan by its action (fct_refresh_plan.action) and the cost of what is planned
-- (planned_cost: capacity-queued replacements, OS upgrades at the policy cost, the replacement
-- option of a warranty end), never all rows at their replacement price.
refresh as (
    select
        r.as_of_date,
        r.cost_center,
        a.asset_class,
        a.accountable_owner,
        r.asset_id,
        r.action,
        r.planned_cost
    from {{ ref('fct_refresh_plan') }} as r
    left join assets as a using (as_of_date, asset_id)
),

stale as (
    select
        s.as_of_date,
        a.cost_center,
        s.asset_class,
        a.accountable_owner,
        s.is_finding
    from {{ ref('fct_stale_records') }} as s
    left join assets as a using (as_of_date, asset_id)
),

-- One row per KPI and dimension combination: numerator (the count or amount) and, for a
-- percentage, its denominator.
measured as (
    select
        as_of_date,
        cost_center,
        asset_class,
        accountable_owner,
        'assets_in_service' as kpi,
        count(*) as numerator,
        null as denominator,
        null as silent_feed
    from in_service
    group by all

    union all
    select
        as_of_date,
        cost_center,
        asset_class,
        accountable_owner,
        'unowned_assets',
        count(*) filter (where accountable_owner is null),
        null,
        null
    from in_service
    group by all

    union all
    select
        as_of_date,
        cost_center,
        asset_class,
        accountable_owner,
        'classified_pct',
        count(asset_class),
        count(*),
        null
    from in_service
    group by all

    union all
    select
        as_of_date,
        cost_center,
        asset_class,
        accountable_owner,
        'ownership_coverage_pct',
        count(accountable_owner),
        count(*),
        null
    from in_service
    group by all

    union all
    -- Of the devices discovery sees now, the share the CMDB knows.
    select
        as_of_date,
        cost_center,
        asset_class,
        accountable_owner,
        'cmdb_coverage_pct',
        count(*) filter (where in_cmdb),
        count(*),
        null
    from in_service
    where asset_kind in ('device', 'cloud_resource') and seen_in_window
    group by all

    union all
    -- Accepted risks and false positives stay listed but do not count as open (issue 8).
    select
        as_of_date,
        cost_center,
        asset_class,
        accountable_owner,
        'open_exceptions',
        count(*) filter (where counts_as_open and silent_feed is null),
        null,
        null
    from exceptions
    group by all

    union all
    select
        as_of_date,
        cost_center,
        asset_class,
        accountable_owner,
        'new_exceptions',
        count(*) filter (where status = 'new' and silent_feed is null),
        null,
        null
    from exceptions
    group by all

    union all
    select
        as_of_date,
        cost_center,
        asset_class,
        accountable_owner,
        'resolved_exceptions',
        count(*) filter (where status = 'resolved' and last_detected_on = prior_as_of_date),
        null,
        null
    from exceptions
    group by all

    union all
    select
        as_of_date,
        cost_center,
        asset_class,
        accountable_owner,
        'silent_feed_exceptions',
        count(*) filter (where counts_as_open),
        null,
        silent_feed
    from exceptions
    where silent_feed is not null
    group by all

    union all
    select
        as_of_date,
        null,
        null,
        null,
        'under_licensed_products',
        count(*) filter (where position < 0),
        null,
        null
    from {{ ref('fct_license_position') }}
    group by all

    union all
    -- One-time (perpetual) and per-year (subscription) exposure are different money: never summed.
    select
        as_of_date,
        null,
        null,
        null,
        'true_up_exposure_one_time',
        sum(true_up_exposure_one_time),
        null,
        null
    from {{ ref('fct_license_position') }}
    group by all

    union all
    select
        as_of_date,
        null,
        null,
        null,
        'true_up_exposure_per_year',
        sum(true_up_exposure_per_year),
        null,
        null
    from {{ ref('fct_license_position') }}
    group by all

    union all
    select
        as_of_date,
        null,
        null,
        null,
        'recurring_savings_per_year',
        sum(recurring_savings_per_year),
        null,
        null
    from {{ ref('fct_license_position') }}
    group by all

    union all
    select
        as_of_date,
        cost_center,
        asset_class,
        null,
        'device_active_pct',
        sum(assets_active),
        sum(assets_total),
        null
    from {{ ref('fct_utilization') }}
    where utilisation_basis = 'assets'
    group by all

    union all
    select
        as_of_date,
        cost_center,
        asset_class,
        accountable_owner,
        'refresh_replacements_due',
        count(*) filter (where action = 'replace'),
        null,
        null
    from refresh
    group by all

    union all
    select
        as_of_date,
        cost_center,
        asset_class,
        accountable_owner,
        'refresh_os_upgrades_due',
        count(*) filter (where action = 'os_upgrade'),
        null,
        null
    from refresh
    group by all

    union all
    select
        as_of_date,
        cost_center,
        asset_class,
        accountable_owner,
        'refresh_warranty_decisions_due',
        count(*) filter (where action = 'extend_or_replace'),
        null,
        null
    from refresh
    group by all

    union all
    select
        as_of_date,
        cost_center,
        asset_class,
        accountable_owner,
        'refresh_replacement_cost_planned',
        coalesce(sum(planned_cost) filter (where action = 'replace'), 0),
        null,
        null
    from refresh
    group by all

    union all
    select
        as_of_date,
        cost_center,
        asset_class,
        accountable_owner,
        'refresh_os_upgrade_cost_planned',
        coalesce(sum(planned_cost) filter (where action = 'os_upgrade'), 0),
        null,
        null
    from refresh
    group by all

    union all
    select
        as_of_date,
        cost_center,
        asset_class,
        accountable_owner,
        'refresh_warranty_replacement_option_cost',
        coalesce(sum(planned_cost) filter (where action = 'extend_or_replace'), 0),
        null,
        null
    from refresh
    group by all

    union all
    select
        as_of_date,
        null,
        null,
        null,
        'saas_overlap_categories',
        count(distinct function_category) filter (where overlap_flag),
        null,
        null
    from {{ ref('fct_saas_overlap') }}
    group by all

    union all
    select
        as_of_date,
        cost_center,
        asset_class,
        accountable_owner,
        'net_book_value',
        sum(net_book_value),
        null,
        null
    from tco
    group by all

    union all
    select
        as_of_date,
        cost_center,
        asset_class,
        accountable_owner,
        'tco_to_date',
        sum(tco_to_date),
        null,
        null
    from tco
    group by all

    union all
    -- A stopped feed is one finding, not one per record (fct_stale_records.is_finding).
    select
        as_of_date,
        cost_center,
        asset_class,
        accountable_owner,
        'stale_findings',
        count(*) filter (where is_finding),
        null,
        null
    from stale
    group by all

    union all
    -- Every data-quality rule weighs by the rows it checked.
    select
        as_of_date,
        null,
        null,
        null,
        'data_quality_pass_pct',
        sum(rows_checked) - sum(rows_failed),
        sum(rows_checked),
        null
    from {{ ref('fct_data_quality') }}
    group by all

    union all
    -- From the dates, so "nothing signed yet" is a 0 the meeting sees, not a missing KPI.
    select
        d.as_of_date,
        null,
        null,
        null,
        'signed_quarters',
        count(distinct s.quarter),
        null,
        null
    from dates as d
    left join {{ ref('fct_signoffs') }} as s using (as_of_date)
    group by all
),

-- What each KPI is: its words, unit, good direction, the dimensions it has, whether it is one
-- of the Overview's headline tiles (the governance meeting's first questions), and its order.
catalog (kpi, label, unit, better, breakdown, is_headline, sort_order) as (
    values
    ('true_up_exposure_one_time', 'License true-up exposure, one-time', 'currency', 'lower', '', true, 10),
    ('true_up_exposure_per_year', 'License true-up exposure per year', 'currency', 'lower', '', true, 15),
    ('recurring_savings_per_year', 'Recurring license savings per year', 'currency', 'higher', '', true, 20),
    (
        'open_exceptions',
        'Open reconciliation exceptions',
        'count',
        'lower',
        'cost_center,asset_class,accountable_owner',
        true,
        30
    ),
    ('data_quality_pass_pct', 'Data-quality checks passed (row-weighted)', 'pct', 'higher', '', true, 40),
    (
        'refresh_replacements_due',
        'Devices to replace (refresh plan)',
        'count',
        'neutral',
        'cost_center,asset_class,accountable_owner',
        true,
        50
    ),
    (
        'unowned_assets',
        'Assets in service without an accountable owner',
        'count',
        'lower',
        'cost_center,asset_class,accountable_owner',
        true,
        60
    ),
    (
        'assets_in_service',
        'Assets in service',
        'count',
        'neutral',
        'cost_center,asset_class,accountable_owner',
        false,
        110
    ),
    (
        'classified_pct',
        'Assets classified by the taxonomy',
        'pct',
        'higher',
        'cost_center,asset_class,accountable_owner',
        false,
        120
    ),
    (
        'ownership_coverage_pct',
        'Assets with an accountable owner',
        'pct',
        'higher',
        'cost_center,asset_class,accountable_owner',
        false,
        130
    ),
    (
        'cmdb_coverage_pct',
        'Discovered devices recorded in the CMDB',
        'pct',
        'higher',
        'cost_center,asset_class,accountable_owner',
        false,
        140
    ),
    (
        'new_exceptions',
        'Exceptions new this quarter',
        'count',
        'lower',
        'cost_center,asset_class,accountable_owner',
        false,
        150
    ),
    (
        'resolved_exceptions',
        'Exceptions resolved this quarter',
        'count',
        'higher',
        'cost_center,asset_class,accountable_owner',
        false,
        160
    ),
    (
        'silent_feed_exceptions',
        'Open exceptions explained by a silent feed',
        'count',
        'neutral',
        'cost_center,asset_class,accountable_owner',
        false,
        170
    ),
    (
        'stale_findings',
        'Stale records and silent feeds to act on',
        'count',
        'lower',
        'cost_center,asset_class,accountable_owner',
        false,
        180
    ),
    ('under_licensed_products', 'Products under-licensed', 'count', 'lower', '', false, 190),
    (
        'device_active_pct',
        'Devices active within their stale window',
        'pct',
        'higher',
        'cost_center,asset_class',
        false,
        200
    ),
    (
        'refresh_replacement_cost_planned',
        'Planned replacement cost (refresh plan)',
        'currency',
        'neutral',
        'cost_center,asset_class,accountable_owner',
        false,
        205
    ),
    (
        'refresh_os_upgrades_due',
        'Devices due an OS upgrade',
        'count',
        'neutral',
        'cost_center,asset_class,accountable_owner',
        false,
        206
    ),
    (
        'refresh_os_upgrade_cost_planned',
        'Planned OS upgrade cost',
        'currency',
        'neutral',
        'cost_center,asset_class,accountable_owner',
        false,
        207
    ),
    (
        'refresh_warranty_decisions_due',
        'Warranty ends to decide: extend or replace',
        'count',
        'neutral',
        'cost_center,asset_class,accountable_owner',
        false,
        208
    ),
    (
        'refresh_warranty_replacement_option_cost',
        'Replacement option of warranty ends (if not extended)',
        'currency',
        'neutral',
        'cost_center,asset_class,accountable_owner',
        false,
        209
    ),
    ('saas_overlap_categories', 'SaaS categories with overlapping paid apps', 'count', 'lower', '', false, 220),
    (
        'net_book_value',
        'Net book value of the estate',
        'currency',
        'neutral',
        'cost_center,asset_class,accountable_owner',
        false,
        230
    ),
    (
        'tco_to_date',
        'Total cost of ownership to date',
        'currency',
        'neutral',
        'cost_center,asset_class,accountable_owner',
        false,
        240
    ),
    ('signed_quarters', 'Reconciliation quarters signed off', 'count', 'higher', '', false, 250)
)

select
    m.kpi,
    m.as_of_date,
    m.cost_center,
    m.asset_class,
    m.accountable_owner,
    m.silent_feed,
    c.label,
    c.unit,
    case when c.unit = 'currency' then pol.reporting_currency end as currency,
    c.better,
    c.breakdown,
    c.is_headline,
    c.sort_order,
    cast(coalesce(m.numerator, 0) as decimal(18, 2)) as numerator,
    cast(m.denominator as decimal(18, 2)) as denominator,
    cast(case
        when c.unit = 'pct' then round(100.0 * m.numerator / nullif(m.denominator, 0), 2)
        else coalesce(m.numerator, 0)
    end as decimal(18, 2)) as value
from measured as m
inner join catalog as c using (kpi)
cross join {{ ref('int_policy') }} as pol
