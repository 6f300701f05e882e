{# The classification rules of taxonomy.classification_rules as one CASE expression in precedence
   order, returning the id of the first rule that matches. Generated from the warehouse table at
   run time, so the regexes are compiled once and a YAML change needs no code change.
   Conditions: case-insensitive regex search on the asset attribute (NULL attribute = no match);
   has_term_end compares a boolean. #}
{% macro classification_rule_case(alias) -%}
    {%- set conditions = ['ci_class', 'purchase_category', 'manufacturer', 'model', 'os_name',
                          'hostname', 'discovery_source', 'license_metric',
                          'device_type', 'chassis_type'] -%}
    {%- if execute -%}
        {%- set rules = run_query("select * from " ~ source('taxonomy', 'classification_rules') ~ " order by precedence, rule_id") -%}
        case
        {%- for r in rules %}
            when {{ alias }}.applies_to {% if r['applies_to'] == 'any' %}is not null{% else %}= '{{ r["applies_to"] }}'{% endif %}
            {%- for c in conditions %}{% if r[c] is not none %}
                and {{ itam.regex_search(alias ~ '.' ~ ('discovery_sources' if c == 'discovery_source' else c),
                                    itam.string_literal(r[c]), 'i') }}
            {%- endif %}{% endfor %}
            {%- if r['has_term_end'] is not none %}
                and {{ alias }}.has_term_end = {{ 'true' if r['has_term_end'] else 'false' }}
            {%- endif %}
                then {{ itam.string_literal(r["rule_id"]) }}
        {%- endfor %}
        end
    {%- else -%}
        cast(null as string)
    {%- endif -%}
{%- endmacro %}
