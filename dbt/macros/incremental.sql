{# Incremental snapshots (issue 15.2, docs/decisions/incremental-snapshots.md). The snapshot-grain
   models (one row set per as_of_date, each computed from that date's inputs only) are incremental
   on as_of_date. The build passes the dates to recompute as the var `snapshot_dates` (from the
   fingerprints it stores per snapshot, dagster_project/build/fingerprint.py); without the var
   (first build, `--full-refresh`, dbt run by hand) every date is recomputed. #}

{% macro planned_snapshot_filter(column='as_of_date') -%}
    {%- set dates = var('snapshot_dates', none) -%}
    {%- if is_incremental() and dates is not none -%}
        {%- if dates | length == 0 -%} false
        {%- else -%} {{ column }} in ({% for d in dates %}date '{{ d }}'{% if not loop.last %}, {% endif %}{% endfor %})
        {%- endif -%}
    {%- else -%} true
    {%- endif -%}
{%- endmacro %}

{# The as-of dates this model computes in this run: all of them, or only the planned ones. #}
{% macro snapshot_dates() -%}
    (select * from {{ ref('int_as_of_dates') }} where {{ planned_snapshot_filter() }})
{%- endmacro %}

{# An upstream snapshot-grain model, narrowed to the dates this model computes in this run. #}
{% macro snapshot_ref(model_name) -%}
    (select * from {{ ref(model_name) }} where {{ planned_snapshot_filter() }})
{%- endmacro %}

{# pre-hook: the planned dates' old rows go first, so a snapshot that now has no rows in this
   model does not keep its old ones (delete+insert only deletes the dates it inserts). #}
{% macro delete_planned_snapshots() -%}
    {%- if is_incremental() and var('snapshot_dates', none) is not none -%}
        delete from {{ this }} where {{ planned_snapshot_filter() }}
    {%- endif -%}
{%- endmacro %}

{# Kept in this file beside snapshot_dates(): sqlfluff's jinja templater resolves a macro's calls
   only within the file that defines it (docs/decisions/lint.md). #}
{# Procurement and finance exports may be full extracts or deltas: per snapshot date, every row
   exported on or before it counts, and a key exported again takes its latest version. #}
{% macro latest_records(model, key_sql) -%}
    select d.as_of_date, r.*
    from {{ snapshot_dates() }} d
    join {{ ref(model) }} r on r.export_date <= d.as_of_date
    qualify row_number() over (
        partition by d.as_of_date, {{ key_sql }}
        order by r.export_date desc, r.source_row_number desc
    ) = 1
{%- endmacro %}
