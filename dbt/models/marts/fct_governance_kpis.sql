-- The numbers the ITAM governance meeting reviews, one row per KPI and snapshot date, with the
-- previous snapshot's value beside it (snapshots are the quarter-end exports, so "prior" is the
-- prior quarter). Direction says which way is good; a change smaller than
-- policy.kpi_materiality_pct of the prior value is shown as flat (docs/marts.md).
with dates as (
    select as_of_date, lag(as_of_date) over (order by as_of_date) as prior_as_of_date
    from {{ ref('int_as_of_dates') }}
),
assets as (
    select * from {{ ref('dim_asset') }}
    where coalesce(lifecycle_state, '') not in ('retired', 'disposed')
),
exceptions as (
    select e.*, d.prior_as_of_date
    from {{ ref('fct_reconciliation_exceptions') }} e
    join dates d using (as_of_date)
),
kpis as (
    select as_of_date, 'assets_in_service' as kpi, 'Assets in service' as label, 'count' as unit,
        'neutral' as better, count(*)::decimal(18, 2) as value, 10 as sort_order
    from assets group by all

    union all
    select as_of_date, 'classified_pct', 'Assets classified by the taxonomy', 'pct', 'higher',
        round(100.0 * count(asset_class) / count(*), 2), 20
    from assets group by all

    union all
    select as_of_date, 'ownership_coverage_pct', 'Assets with an accountable owner', 'pct', 'higher',
        round(100.0 * count(accountable_owner) / count(*), 2), 30
    from assets group by all

    union all
    -- Of the devices discovery sees now, the share the CMDB knows.
    select as_of_date, 'cmdb_coverage_pct', 'Discovered devices recorded in the CMDB', 'pct', 'higher',
        round(100.0 * count(*) filter (where in_cmdb) / nullif(count(*), 0), 2), 40
    from assets where asset_kind in ('device', 'cloud_resource') and seen_in_window group by all

    union all
    -- Accepted risks and false positives stay listed but do not count as open (issue 8).
    select as_of_date, 'open_exceptions', 'Open reconciliation exceptions', 'count', 'lower',
        count(*) filter (where counts_as_open), 50
    from exceptions group by all

    union all
    select as_of_date, 'new_exceptions', 'Exceptions new this quarter', 'count', 'lower',
        count(*) filter (where status = 'new'), 60
    from exceptions group by all

    union all
    select as_of_date, 'resolved_exceptions', 'Exceptions resolved this quarter', 'count', 'higher',
        count(*) filter (where status = 'resolved' and last_detected_on = prior_as_of_date), 70
    from exceptions group by all

    union all
    select as_of_date, 'under_licensed_products', 'Products under-licensed', 'count', 'lower',
        count(*) filter (where position < 0), 80
    from {{ ref('fct_license_position') }} group by all

    union all
    select as_of_date, 'true_up_exposure_one_time', 'License true-up exposure, one-time (perpetual)', 'currency', 'lower',
        sum(true_up_exposure_one_time), 90
    from {{ ref('fct_license_position') }} group by all

    union all
    select as_of_date, 'true_up_exposure_per_year', 'License true-up exposure per year (subscriptions)', 'currency', 'lower',
        sum(true_up_exposure_per_year), 95
    from {{ ref('fct_license_position') }} group by all

    union all
    select as_of_date, 'recurring_savings_per_year', 'Recurring license savings per year', 'currency', 'higher',
        sum(recurring_savings_per_year), 100
    from {{ ref('fct_license_position') }} group by all

    union all
    select as_of_date, 'device_active_pct', 'Devices active within their stale window', 'pct', 'higher',
        round(100.0 * sum(assets_active) / nullif(sum(assets_total), 0), 2), 110
    from {{ ref('fct_utilization') }} where utilisation_basis = 'assets' group by all

    union all
    select as_of_date, 'refresh_budget_due', 'Replacement cost of assets due within the horizon', 'currency',
        'neutral', coalesce(sum(replacement_cost_estimate), 0), 120
    from {{ ref('fct_refresh_plan') }} group by all

    union all
    select as_of_date, 'saas_overlap_categories', 'SaaS categories with overlapping paid apps', 'count', 'lower',
        count(distinct function_category) filter (where overlap_flag), 130
    from {{ ref('fct_saas_overlap') }} group by all

    union all
    select as_of_date, 'net_book_value', 'Net book value of the estate', 'currency', 'neutral',
        sum(net_book_value), 135
    from {{ ref('fct_asset_tco') }} group by all

    union all
    select as_of_date, 'tco_to_date', 'Total cost of ownership to date', 'currency', 'neutral',
        sum(tco_to_date), 136
    from {{ ref('fct_asset_tco') }} group by all

    union all
    -- A stopped feed is one finding, not one per record (fct_stale_records.is_finding).
    select as_of_date, 'stale_findings', 'Stale records and silent feeds to act on', 'count', 'lower',
        count(*) filter (where is_finding), 137
    from {{ ref('fct_stale_records') }} group by all

    union all
    -- Every data-quality rule weighs by the rows it checked.
    select as_of_date, 'data_quality_pass_pct', 'Data-quality checks passed (row-weighted)', 'pct', 'higher',
        round(100.0 * (1 - sum(rows_failed) / nullif(sum(rows_checked), 0)), 2), 138
    from {{ ref('fct_data_quality') }} group by all

    union all
    -- From the dates, so "nothing signed yet" is a 0 the meeting sees, not a missing KPI.
    select d.as_of_date, 'signed_quarters', 'Reconciliation quarters signed off', 'count', 'higher',
        count(distinct s.quarter), 140
    from dates d
    left join {{ ref('fct_signoffs') }} s using (as_of_date)
    group by all
),
-- The last signed quarter in words, shown beside the signed_quarters count.
last_signed as (
    select as_of_date, 'signed_quarters' as kpi,
        quarter || ' signed by ' || signed_by || ' on ' || strftime(signed_at, '%Y-%m-%d') as value_text
    from {{ ref('fct_signoffs') }}
    where is_last_signed_quarter and is_latest_signoff
),
-- Every KPI on every snapshot date (a KPI with nothing to count is 0, not missing).
grid as (
    select d.as_of_date, d.prior_as_of_date, k.kpi, k.label, k.unit, k.better, k.sort_order
    from dates d
    cross join (select distinct kpi, label, unit, better, sort_order from kpis) k
),
valued as (
    select g.*, coalesce(k.value, 0)::decimal(18, 2) as value
    from grid g
    left join kpis k using (as_of_date, kpi)
),
compared as (
    select
        v.*,
        p.value as prior_value
    from valued v
    left join valued p on p.kpi = v.kpi and p.as_of_date = v.prior_as_of_date
)
select
    *,
    case
        when trend in ('new', 'flat') or better = 'neutral' then 'neutral'
        when (trend = 'up') = (better = 'higher') then 'improved'
        else 'worsened'
    end as assessment
from (
select
    c.kpi,
    c.as_of_date,
    c.label,
    c.unit,
    case when c.unit = 'currency' then pol.reporting_currency end as currency,
    c.better,
    c.value,
    c.prior_as_of_date,
    c.prior_value,
    (c.value - c.prior_value)::decimal(18, 2) as change,
    round(100.0 * (c.value - c.prior_value) / nullif(abs(c.prior_value), 0), 2)::decimal(18, 2) as change_pct,
    case
        when c.prior_value is null then 'new'
        when c.value = c.prior_value then 'flat'
        -- From zero any change is material; otherwise compare with the materiality threshold.
        when c.prior_value <> 0
         and abs(c.value - c.prior_value) < abs(c.prior_value) * pol.kpi_materiality_pct / 100 then 'flat'
        when c.value > c.prior_value then 'up'
        else 'down'
    end as trend,
    c.sort_order,
    ls.value_text
from compared c
cross join {{ ref('int_policy') }} pol
left join last_signed ls using (as_of_date, kpi)
)
