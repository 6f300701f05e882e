-- Pass rates per source × entity × rule per snapshot date, so decay shows as a trend
-- (docs/data-quality.md lists every rule). Rule families:
--   gx.<check>                     Great Expectations results of the export in force at the date
--                                  (the entity's newest export on or before it; audit.expectation_results)
--   ingest.rows_accepted           rows of that export not quarantined at ingestion
--   ingest.files_accepted          files of that export date not rejected whole
--   completeness.<class>.<field>   dim_asset rows of a class with a required field filled
--                                  (taxonomy asset_classes.required_fields, inheritance resolved)
--   ownership.coverage             dim_asset rows with an owner
--   classification.coverage        dim_asset rows with a class
--   lifecycle.retirement_evidence  retired/disposed CIs carrying every declared evidence field
--   reference.cost_center_known    dim_asset cost centers that finance's cost_centers knows
--   freshness.records_current      records expected current that are not stale (fct_stale_records)
--   freshness.feed_current         feeds (discovery sources, export feeds) that are not silent
{%- set asset_columns = [] -%}
{%- if execute -%}
    {%- set asset_columns = adapter.get_columns_in_relation(ref('dim_asset')) | map(attribute='name') | list -%}
{%- endif %}
with dates as (
    select as_of_date from {{ ref('int_as_of_dates') }}
),

loads as (
    select * from {{ ref('stg_audit__loads') }}
    where entity is not null and export_date is not null
),

-- The export in force per entity and date: the newest loaded one on or before the date.
loaded_export as (
    select
        d.as_of_date,
        l.source,
        l.entity,
        max(l.export_date) as export_date
    from dates as d inner join loads as l on l.status = 'loaded' and d.as_of_date >= l.export_date
    group by all
),

-- For file acceptance, the newest export date with any file, loaded or rejected.
any_export as (
    select
        d.as_of_date,
        l.source,
        l.entity,
        max(l.export_date) as export_date
    from dates as d inner join loads as l on d.as_of_date >= l.export_date
    group by all
),

gx as (
    select
        e.as_of_date,
        r.source,
        r.entity,
        'gx.' || r.expectation as rule,
        'expectation' as rule_type,
        case when bool_or(r.severity = 'error') then 'error' else 'warn' end as severity,
        e.export_date,
        cast(null as string) as asset_class,
        min(r.column_name) as column_name,
        sum(r.rows_checked) as rows_checked,
        sum(r.rows_failed) as rows_failed,
        min(coalesce(r.error, r.sample)) filter (where r.rows_failed > 0 or r.error is not null) as detail
    from loaded_export as e
    inner join {{ ref('stg_audit__expectation_results') }} as r
        on e.entity = r.entity and e.export_date = r.export_date
    group by e.as_of_date, r.source, r.entity, r.expectation, e.export_date
),

rows_accepted as (
    select
        e.as_of_date,
        l.source,
        l.entity,
        'ingest.rows_accepted',
        'ingestion',
        'warn',
        e.export_date,
        cast(null as string),
        cast(null as string),
        sum(l.rows_loaded + l.rows_quarantined),
        sum(l.rows_quarantined),
        cast(null as string)
    from loaded_export as e
    inner join loads as l on l.status = 'loaded' and e.entity = l.entity and e.export_date = l.export_date
    group by e.as_of_date, l.source, l.entity, e.export_date
),

files_accepted as (
    select
        e.as_of_date,
        l.source,
        l.entity,
        'ingest.files_accepted',
        'ingestion',
        'warn',
        e.export_date,
        cast(null as string),
        cast(null as string),
        count(*),
        count(*) filter (where l.status = 'rejected'),
        string_agg(l.error, ' | ') filter (where l.status = 'rejected')
    from any_export as e
    inner join loads as l on e.entity = l.entity and e.export_date = l.export_date
    group by e.as_of_date, l.source, l.entity, e.export_date
),

assets as (
    select * from {{ ref('dim_asset') }}
),

required as (
    select
        a.as_of_date,
        a.asset_class,
        f.field_name,
        case f.field_name
            {%- for c in asset_columns %}
                when '{{ c }}' then a.{{ adapter.quote(c) }} is not null
            {%- endfor %}
            else false  -- a required field that dim_asset does not have is never filled
        end as filled
    from assets as a
    inner join (
        select
            class_id,
            {{ unnest_list("required_fields") }} as field_name
        from {{ ref('stg_taxonomy__asset_classes') }}
    ) as f
        on a.asset_class = f.class_id
),

completeness as (
    select
        as_of_date,
        'warehouse',
        'dim_asset',
        'completeness.' || asset_class || '.' || field_name,
        'completeness',
        'warn',
        cast(null as date),
        asset_class,
        field_name,
        count(*),
        count(*) filter (where not filled),
        cast(null as string)
    from required
    group by all
),

coverage as (
    select
        a.as_of_date,
        'warehouse',
        'dim_asset',
        'ownership.coverage',
        'ownership',
        'warn',
        cast(null as date),
        cast(null as string),
        'owner_function',
        count(*),
        count(*) filter (where a.owner_function is null),
        cast(null as string)
    from assets as a
    group by all
    union all
    select
        a.as_of_date,
        'warehouse',
        'dim_asset',
        'classification.coverage',
        'classification',
        'warn',
        cast(null as date),
        cast(null as string),
        'asset_class',
        count(*),
        count(*) filter (where a.asset_class is null),
        cast(null as string)
    from assets as a
    group by all
    union all
    -- Retired and disposed CIs must carry the evidence taxonomy/lifecycle.yaml lists.
    select
        a.as_of_date,
        'warehouse',
        'dim_asset',
        'lifecycle.retirement_evidence',
        'lifecycle',
        'warn',
        cast(null as date),
        cast(null as string),
        'missing_retirement_evidence',
        count(*),
        count(*) filter (where {{ list_length("a.missing_retirement_evidence") }} > 0),
        cast(null as string)
    from assets as a
    where a.missing_retirement_evidence is not null
    group by all
    union all
    select
        a.as_of_date,
        'warehouse',
        'dim_asset',
        'reference.cost_center_known',
        'reference',
        'warn',
        cast(null as date),
        cast(null as string),
        'cost_center',
        count(*),
        count(*) filter (where cc.cost_center is null),
        {{ string_agg("a.cost_center", "', '", "a.cost_center", distinct=true, where="cc.cost_center is null") }}
    from assets as a
    left join {{ ref('dim_cost_center') }} as cc
        on a.as_of_date = cc.as_of_date and upper(cc.cost_center) = upper(trim(a.cost_center))
    where a.cost_center is not null
    group by all
),

freshness as (
    select
        as_of_date,
        source,
        entity,
        case record_kind when 'record' then 'freshness.records_current' else 'freshness.feed_current' end,
        'freshness',
        'warn',
        cast(null as date),
        cast(null as string),
        cast(null as string),
        count(*) filter (where expected_current),
        count(*) filter (where is_stale),
        {{ string_agg("record_key", "', '", "record_key", where="is_stale and record_kind = 'feed'") }}
    from {{ ref('fct_stale_records') }}
    group by all
),

all_rules as (
    select * from gx
    union all
    select * from rows_accepted
    union all
    select * from files_accepted
    union all
    select * from completeness
    union all
    select * from coverage
    union all
    select * from freshness
),

rated as (
    select
        *,
        case
            when rows_checked > 0
                then cast(round(1 - rows_failed / rows_checked, 6) as decimal(9, 6))
        end as pass_rate
    from all_rules
)

select
    as_of_date,
    source,
    entity,
    rule,
    rule_type,
    severity,
    export_date,
    asset_class,
    column_name,
    cast(rows_checked as bigint) as rows_checked,
    cast(rows_failed as bigint) as rows_failed,
    pass_rate,
    lag(pass_rate) over (
        partition by source, entity, rule
        order by as_of_date
    ) as prior_pass_rate,
    left(detail, 500) as detail
from rated
