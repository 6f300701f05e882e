{# Spark only (issue 18, docs/scale-out.md): on-run-start registers every dbt source as a table over
   its Parquet folder <var spark_sources>/<schema>/<table> (raw: partitioned by _source and
   _export_date, as dagster_project/spark/sources.py writes them), so `source()` reads on Spark what
   it reads in the DuckDB build file. Renders nothing on DuckDB or without the var. #}
{% macro register_spark_sources() -%}
    {%- set root = var('spark_sources', none) -%}
    {%- if execute and target.type == 'spark' and root -%}
        {%- set schemas = [] -%}
        {%- for node in graph.sources.values() -%}
            {%- if node.schema not in schemas -%}
                {%- do schemas.append(node.schema) -%}
                {%- do run_query('create database if not exists ' ~ node.schema) -%}
            {%- endif -%}
            {%- do run_query('drop table if exists ' ~ node.schema ~ '.' ~ node.name) -%}
            {%- do run_query('create table ' ~ node.schema ~ '.' ~ node.name ~ " using parquet location '"
                             ~ root ~ '/' ~ node.schema ~ '/' ~ node.name ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
