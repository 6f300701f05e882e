{# Incremental snapshots (issue 15.2, docs/decisions/incremental-snapshots.md). The snapshot-grain
   models (one row set per as_of_date, each computed from that date's inputs only) are incremental
   on as_of_date. The build passes the dates to recompute as the var `snapshot_dates` (from the
   fingerprints it stores per snapshot, dagster_project/build/fingerprint.py); without the var
   (first build, `--full-refresh`, dbt run by hand) every date is recomputed. #}

{% macro planned_snapshot_filter(column='as_of_date') -%}
    {%- if is_incremental() -%} {{ planned_dates_predicate(column) }}
    {%- else -%} true
    {%- endif -%}
{%- endmacro %}

{# `column in (the planned dates)`; true when the build did not pass a plan (every date). #}
{% macro planned_dates_predicate(column='as_of_date') -%}
    {%- set dates = var('snapshot_dates', none) -%}
    {%- if dates is none -%} true
    {%- elif dates | length == 0 -%} false
    {%- else -%} {{ column }} in ({% for d in dates %}date '{{ d }}'{% if not loop.last %}, {% endif %}{% endfor %})
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
        delete from {{ this }} where {{ planned_dates_predicate() }}
    {%- endif -%}
{%- endmacro %}

{# dbt's generic tests read the tested model through this macro (dbt core's default, plus one
   thing): in a build that recomputes only some snapshots, a test of an incremental snapshot model
   checks those dates only; the kept ones passed when they were built and have not changed. #}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set attached = model.get('attached_node') if execute else none -%}
    {%- set parent = graph.nodes.get(attached) if attached else none -%}
    {%- if var('snapshot_dates', none) is not none and parent is not none
          and parent.config.materialized == 'incremental' and parent.alias == relation.identifier -%}
        {%- set narrow = planned_dates_predicate() -%}
        {%- set where = '(' ~ where ~ ') and ' ~ narrow if where else narrow -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
