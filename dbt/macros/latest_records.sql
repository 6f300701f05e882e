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
