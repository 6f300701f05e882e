{# The eol_products rules of one kind (os | model) of taxonomy.eol_products as one CASE expression
   in written order, returning struct(rule_id, product, cycle) of the first rule whose pattern is
   found in `text_sql` (case-insensitive), NULL when none is. Generated from the warehouse table
   at run time like classification_rule_case, so the regexes are constants compiled once.
   The cycle template's \1, \2 ... are filled from the pattern's groups by wrapping the pattern in
   a whole-text match (leftmost occurrence) and replacing the text with the template. #}
{% macro eol_product_case(text_sql, kind) -%}
    {%- set rules = [] -%}
    {%- if execute -%}
        {%- set rules = run_query("select * from " ~ source('taxonomy', 'eol_products')
                                  ~ " where match = '" ~ kind ~ "' order by position") -%}
    {%- endif -%}
    {%- set fields = [('rule_id', 'varchar'), ('product', 'varchar'), ('cycle', 'varchar')] -%}
    {%- if rules | length > 0 -%}
        case
        {%- for r in rules %}
            when {{ itam.regex_search(text_sql, itam.string_literal(r['pattern']), 'i') }} then {{ itam.struct_value([
                ('rule_id', itam.string_literal(r["rule_id"])),
                ('product', "lower(trim(" ~ itam.string_literal(r["product"]) ~ "))"),
                ('cycle', "lower(trim(regexp_replace(" ~ text_sql ~ ", "
                          ~ itam.string_literal('(?is)^.*?(?:' ~ r['pattern'] ~ ').*$') ~ ", "
                          ~ itam.string_literal(itam.regex_template(r["cycle"])) ~ ")))")]) }}
        {%- endfor %}
        end
    {%- else -%}
        cast(null as {{ itam.struct_type(fields) }})
    {%- endif -%}
{%- endmacro %}
