{# A model's key over several columns (e.g. as_of_date + asset_id) is unique: the failing rows
   are the keys that occur more than once. #}
{% test unique_key(model, columns) %}
select {{ columns | join(', ') }}, count(*) as rows_with_key
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
