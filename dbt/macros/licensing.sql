{# Units of a license metric one consumption item counts for (issue 13): a user or subscription
   license once per user (`first_of_user`: the item is the first of its user in the set counted),
   a device license once per device, core licenses the item's core_units. The one definition used
   by coverage, the product position, the consumer list and the reclamation rows. #}
{% macro license_units(metric, first_of_user, core_units) -%}
    case
        when {{ metric }} in ('user', 'subscription') then case when {{ first_of_user }} then 1 else 0 end
        when {{ metric }} = 'device' then 1
        else {{ core_units }}
    end
{%- endmacro %}
