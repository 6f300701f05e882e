{# Referential integrity within one snapshot: every non-null value of the column exists in the
   parent model at the same as-of date (plain `relationships` would accept a parent row of
   another quarter). #}
{% test relationships_in_snapshot(model, column_name, to, field, snapshot_column='as_of_date') %}
select child.{{ snapshot_column }}, child.{{ column_name }}
from {{ model }} child
left join {{ to }} parent
    on parent.{{ snapshot_column }} = child.{{ snapshot_column }}
   and parent.{{ field }} = child.{{ column_name }}
where child.{{ column_name }} is not null
  and parent.{{ field }} is null
{% endtest %}
