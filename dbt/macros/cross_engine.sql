{# Engine differences, one macro each (issue 18, docs/decisions/cross-engine-sql.md). The models are
   written once; where DuckDB and Spark SQL spell the same thing differently, the model calls one
   of these and `adapter.dispatch` picks `duckdb__` / `spark__` (default__ = the DuckDB spelling, so a
   third adapter starts from it). dbt's own cross-database macros are used where they render the
   same SQL on DuckDB (dbt.listagg cannot order on Spark, dbt.datediff asserts non-null dates on
   Spark: so neither is used). What both engines read alike stays plain SQL: qualify,
   count(...) filter (where ...), max_by/min_by, bool_or/bool_and, any_value, group/order by all,
   try_cast, md5, split_part, position(a in b), interval literals, cast(... as string).
   The DuckDB branch of every macro renders exactly the SQL the models had before, so a DuckDB
   build is unchanged. #}

{# strftime-style format of a date or timestamp ('%Y-%m', '%Y-%m-%d', '%Y-%m-%d %H:%M', '%Y'). #}
{% macro format_date(expr, fmt) -%}
    {{- adapter.dispatch('format_date', 'itam')(expr, fmt) -}}
{%- endmacro %}

{% macro default__format_date(expr, fmt) -%}
    strftime({{ expr }}, '{{ fmt }}')
{%- endmacro %}

{% macro spark__format_date(expr, fmt) -%}
    {%- set java = fmt | replace('%Y', 'yyyy') | replace('%m', 'MM') | replace('%d', 'dd')
                       | replace('%H', 'HH') | replace('%M', 'mm') | replace('%S', 'ss') -%}
    date_format({{ expr }}, '{{ java }}')
{%- endmacro %}

{# string_agg with an order (optionally distinct, optionally of the rows where `where` holds);
   NULL when no row has a value. DuckDB takes the order inside the call. On Spark, ordered by the
   value itself it is the sorted array of the values joined (Spark 4.3's listagg fails with
   DISTINCT, WITHIN GROUP and FILTER together), ordered by anything else listagg ... WITHIN GROUP. #}
{% macro string_agg(expr, sep, order_by, distinct=false, where=none) -%}
    {{- adapter.dispatch('string_agg', 'itam')(expr, sep, order_by, distinct, where) -}}
{%- endmacro %}

{% macro default__string_agg(expr, sep, order_by, distinct=false, where=none) -%}
    string_agg({{ 'distinct ' if distinct }}{{ expr }}, {{ sep }} order by {{ order_by }})
    {%- if where %} filter (where {{ where }}){% endif %}
{%- endmacro %}

{% macro spark__string_agg(expr, sep, order_by, distinct=false, where=none) -%}
    {%- if order_by | trim == expr | trim -%}
        {%- set values -%}
            array_sort({{ 'collect_set' if distinct else 'collect_list' }}({{ expr }}){% if where %} filter (where {{ where }}){% endif %})
        {%- endset -%}
        case when size({{ values }}) > 0 then array_join({{ values }}, {{ sep }}) end
    {%- else -%}
        listagg({{ 'distinct ' if distinct }}{{ expr }}, {{ sep }}) within group (order by {{ order_by }})
        {%- if where %} filter (where {{ where }}){% endif %}
    {%- endif -%}
{%- endmacro %}

{# `t.* exclude (a, b)` (DuckDB) is `t.* except (a, b)` on Spark: the keyword only. #}
{% macro star_exclude() -%}
    {{- adapter.dispatch('star_exclude', 'itam')() -}}
{%- endmacro %}

{% macro default__star_exclude() -%}exclude{%- endmacro %}

{% macro spark__star_exclude() -%}except{%- endmacro %}

{# Case-sensitive or (flags 'i') case-insensitive regex search anywhere in the text. The pattern
   is SQL (a quoted literal or a column). NULL text or pattern gives NULL on both engines. #}
{% macro regex_search(expr, pattern, flags='') -%}
    {{- adapter.dispatch('regex_search', 'itam')(expr, pattern, flags) -}}
{%- endmacro %}

{% macro default__regex_search(expr, pattern, flags='') -%}
    regexp_matches({{ expr }}, {{ pattern }}{% if flags %}, '{{ flags }}'{% endif %})
{%- endmacro %}

{% macro spark__regex_search(expr, pattern, flags='') -%}
    {%- if 'i' in flags -%}
        regexp_like({{ expr }}, concat('(?i)', {{ pattern }}))
    {%- else -%}
        regexp_like({{ expr }}, {{ pattern }})
    {%- endif -%}
{%- endmacro %}

{# The flag argument of regexp_replace that replaces every match: `, 'g'` in DuckDB, nothing on
   Spark (whose regexp_replace always replaces every match; its 4th argument is a position).
   Written right after the replacement: regexp_replace(x, '[^0-9]', ''{{ regex_all() }}). #}
{% macro regex_all() -%}
    {{- adapter.dispatch('regex_all', 'itam')() -}}
{%- endmacro %}

{% macro default__regex_all() -%}, 'g'{%- endmacro %}

{% macro spark__regex_all() -%}{%- endmacro %}

{# A regex replacement template written DuckDB/RE2-style (\1) in the engine's spelling ($1 on Spark).
   Jinja-time: the template is a constant from the taxonomy. #}
{% macro regex_template(template) -%}
    {{- adapter.dispatch('regex_template', 'itam')(template) -}}
{%- endmacro %}

{% macro default__regex_template(template) -%}{{ template }}{%- endmacro %}

{% macro spark__regex_template(template) -%}
    {{- modules.re.sub('\\\\([0-9])', '$\\1', template.replace('$', '\\$')) -}}
{%- endmacro %}

{# Whole days from `start` to `end` (dates), NULL when either is NULL. #}
{% macro days_between(start, end) -%}
    {{- adapter.dispatch('days_between', 'itam')(start, end) -}}
{%- endmacro %}

{% macro default__days_between(start, end) -%}
    date_diff('day', {{ start }}, {{ end }})
{%- endmacro %}

{% macro spark__days_between(start, end) -%}
    datediff({{ end }}, {{ start }})
{%- endmacro %}

{# Exact integers wider than BIGINT (cents x weights): HUGEINT in DuckDB, DECIMAL(38, 0) on Spark. #}
{% macro type_hugeint() -%}
    {{- adapter.dispatch('type_hugeint', 'itam')() -}}
{%- endmacro %}

{% macro default__type_hugeint() -%}hugeint{%- endmacro %}

{% macro spark__type_hugeint() -%}decimal(38, 0){%- endmacro %}

{# The integer-division operator (truncating; used on non-negative integers): `//` in DuckDB,
   `div` on Spark (whose result is a BIGINT). #}
{% macro int_div_op() -%}
    {{- adapter.dispatch('int_div_op', 'itam')() -}}
{%- endmacro %}

{% macro default__int_div_op() -%}//{%- endmacro %}

{% macro spark__int_div_op() -%}div{%- endmacro %}

{# A JSON object's member as text (NULL when absent). `path` is SQL ('$.cores'). #}
{% macro json_text(expr, path) -%}
    {{- adapter.dispatch('json_text', 'itam')(expr, path) -}}
{%- endmacro %}

{% macro default__json_text(expr, path) -%}
    json_extract_string({{ expr }}, {{ path }})
{%- endmacro %}

{% macro spark__json_text(expr, path) -%}
    get_json_object({{ expr }}, {{ path }})
{%- endmacro %}

{# A struct value from (name, SQL) pairs, and the type of one (names and SQL types). #}
{% macro struct_value(fields) -%}
    {{- adapter.dispatch('struct_value', 'itam')(fields) -}}
{%- endmacro %}

{% macro default__struct_value(fields) -%}
    {{ '{' }}{% for name, sql in fields %}'{{ name }}': {{ sql }}{% if not loop.last %}, {% endif %}{% endfor %}{{ '}' }}
{%- endmacro %}

{% macro spark__struct_value(fields) -%}
    named_struct({% for name, sql in fields %}'{{ name }}', {{ sql }}{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}

{% macro struct_type(fields) -%}
    {{- adapter.dispatch('struct_type', 'itam')(fields) -}}
{%- endmacro %}

{% macro default__struct_type(fields) -%}
    struct({% for name, t in fields %}{{ name }} {{ t }}{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}

{% macro spark__struct_type(fields) -%}
    struct<{% for name, t in fields %}{{ name }}: {{ 'string' if t == 'varchar' else t }}{% if not loop.last %}, {% endif %}{% endfor %}>
{%- endmacro %}

{# Lists (DuckDB) / arrays (Spark). list_agg: the values as a list, optionally ordered by the value
   itself ascending (`sorted=true`; DuckDB keeps NULL values, Spark drops them: use on non-null
   values), optionally of the rows where `where` holds (NULL when none does, on both engines). #}
{% macro list_agg(expr, sorted=false, where=none) -%}
    {{- adapter.dispatch('list_agg', 'itam')(expr, sorted, where) -}}
{%- endmacro %}

{% macro default__list_agg(expr, sorted=false, where=none) -%}
    list({{ expr }}{% if sorted %} order by {{ expr }}{% endif %}){% if where %} filter (where {{ where }}){% endif %}
{%- endmacro %}

{% macro spark__list_agg(expr, sorted=false, where=none) -%}
    {%- set collected -%}
        collect_list({{ expr }}){% if where %} filter (where {{ where }}){% endif %}
    {%- endset -%}
    {%- if sorted %}{% set collected = 'array_sort(' ~ collected ~ ')' %}{% endif -%}
    case when size({{ collected }}) > 0 then {{ collected }} end
{%- endmacro %}

{# The CTE hint `as materialized (...)` of DuckDB (computed once, not inlined); Spark has none. #}
{% macro cte_materialized() -%}
    {{- adapter.dispatch('cte_materialized', 'itam')() -}}
{%- endmacro %}

{% macro default__cte_materialized() -%}materialized{%- endmacro %}

{% macro spark__cte_materialized() -%}{%- endmacro %}

{# The value of `expr` on the first row in the order `keys`, a list of (SQL, 'asc'|'desc') pairs
   (DuckDB: first(expr order by ...)). On Spark: the minimum of a struct of the keys and the
   value; a 'desc' key must be a date or timestamp (negated as epoch microseconds). A FILTER
   clause may follow on both engines. #}
{% macro first_by(expr, keys, where=none) -%}
    {{- adapter.dispatch('first_by', 'itam')(expr, keys, where) -}}
{%- endmacro %}

{% macro default__first_by(expr, keys, where=none) -%}
    first({{ expr }} order by {% for k, direction in keys %}{{ k }} {{ direction }}{% if not loop.last %}, {% endif %}{% endfor %})
    {%- if where %} filter (where {{ where }}){% endif %}
{%- endmacro %}

{% macro spark__first_by(expr, keys, where=none) -%}
    (min(named_struct(
        {%- for k, direction in keys %}'k{{ loop.index }}', {% if direction == 'desc' %}-unix_micros(cast({{ k }} as timestamp_ltz)){% else %}{{ k }}{% endif %}, {% endfor -%}
        'v', {{ expr }})){% if where %} filter (where {{ where }}){% endif %}).v
{%- endmacro %}

{% macro empty_list(element_type='varchar') -%}
    {{- adapter.dispatch('empty_list', 'itam')(element_type) -}}
{%- endmacro %}

{% macro default__empty_list(element_type='varchar') -%}[]{%- endmacro %}

{% macro spark__empty_list(element_type='varchar') -%}
    cast(array() as array<{{ 'string' if element_type == 'varchar' else element_type }}>)
{%- endmacro %}

{% macro list_has(list_sql, value_sql) -%}
    {{- adapter.dispatch('list_has', 'itam')(list_sql, value_sql) -}}
{%- endmacro %}

{% macro default__list_has(list_sql, value_sql) -%}list_contains({{ list_sql }}, {{ value_sql }}){%- endmacro %}

{% macro spark__list_has(list_sql, value_sql) -%}array_contains({{ list_sql }}, {{ value_sql }}){%- endmacro %}

{# One row per element of a list, in a select list (unnest / explode). #}
{% macro unnest_list(list_sql) -%}
    {{- adapter.dispatch('unnest_list', 'itam')(list_sql) -}}
{%- endmacro %}

{% macro default__unnest_list(list_sql) -%}unnest({{ list_sql }}){%- endmacro %}

{% macro spark__unnest_list(list_sql) -%}explode({{ list_sql }}){%- endmacro %}

{# One row per integer lo .. hi - 1 (none when hi <= lo), in a select list. #}
{% macro unnest_range(lo, hi) -%}
    {{- adapter.dispatch('unnest_range', 'itam')(lo, hi) -}}
{%- endmacro %}

{% macro default__unnest_range(lo, hi) -%}unnest(range({{ lo }}, {{ hi }})){%- endmacro %}

{% macro spark__unnest_range(lo, hi) -%}
    explode(case when {{ hi }} > {{ lo }} then sequence({{ lo }}, {{ hi }} - 1) else array() end)
{%- endmacro %}

{# A JSON object of text values as a map (NULL when the text is not a JSON object), and one row per
   entry of such a map in a select list, as a struct with fields key and value. #}
{% macro json_to_text_map(expr) -%}
    {{- adapter.dispatch('json_to_text_map', 'itam')(expr) -}}
{%- endmacro %}

{% macro default__json_to_text_map(expr) -%}
    try_cast(try_cast({{ expr }} as json) as map (varchar, varchar))
{%- endmacro %}

{% macro spark__json_to_text_map(expr) -%}
    from_json({{ expr }}, 'map<string,string>')
{%- endmacro %}

{% macro unnest_map_entries(map_sql) -%}
    {{- adapter.dispatch('unnest_map_entries', 'itam')(map_sql) -}}
{%- endmacro %}

{% macro default__unnest_map_entries(map_sql) -%}unnest(map_entries({{ map_sql }})){%- endmacro %}

{% macro spark__unnest_map_entries(map_sql) -%}explode(map_entries({{ map_sql }})){%- endmacro %}

{# An interval of n days / n months from an integer SQL expression (date or timestamp arithmetic). #}
{% macro days_interval(n) -%}
    {{- adapter.dispatch('days_interval', 'itam')(n) -}}
{%- endmacro %}

{% macro default__days_interval(n) -%}to_days({{ n }}){%- endmacro %}

{% macro spark__days_interval(n) -%}make_dt_interval({{ n }}){%- endmacro %}

{% macro months_interval(n) -%}
    {{- adapter.dispatch('months_interval', 'itam')(n) -}}
{%- endmacro %}

{% macro default__months_interval(n) -%}to_months({{ n }}){%- endmacro %}

{% macro spark__months_interval(n) -%}make_ym_interval(0, {{ n }}){%- endmacro %}

{# An aggregate of text over a window, ordered by the value, only the rows where `condition` holds;
   NULL when none does (DuckDB: string_agg(x, sep order by x) filter (where c) over w). #}
{% macro window_string_agg_sorted(expr, sep, condition, window) -%}
    {{- adapter.dispatch('window_string_agg_sorted', 'itam')(expr, sep, condition, window) -}}
{%- endmacro %}

{% macro default__window_string_agg_sorted(expr, sep, condition, window) -%}
    string_agg({{ expr }}, {{ sep }} order by {{ expr }}) filter (where {{ condition }}) over {{ window }}
{%- endmacro %}

{% macro spark__window_string_agg_sorted(expr, sep, condition, window) -%}
    nullif(array_join(array_sort(collect_list(case when {{ condition }} then {{ expr }} end) over {{ window }}), {{ sep }}), '')
{%- endmacro %}

{# A text constant (jinja-time value, e.g. from a taxonomy table) as a SQL string literal. DuckDB
   doubles the quote; the Spark profile reads literals verbatim (spark.sql.parser.escapedStringLiterals,
   so regex backslashes survive), where a value with a quote is written in double quotes instead. #}
{% macro string_literal(value) -%}
    {{- adapter.dispatch('string_literal', 'itam')(value) -}}
{%- endmacro %}

{% macro default__string_literal(value) -%}
    '{{ value | replace("'", "''") }}'
{%- endmacro %}

{% macro spark__string_literal(value) -%}
    {%- if "'" in value and '"' not in value -%}"{{ value }}"
    {%- elif "'" in value -%}{{ exceptions.raise_compiler_error("a text with both quote characters cannot be written on Spark: " ~ value) }}
    {%- else -%}'{{ value }}'
    {%- endif -%}
{%- endmacro %}

{# A JSON object's member named by a SQL text expression (any characters), as text. #}
{% macro json_member_text(expr, key_sql) -%}
    {{- adapter.dispatch('json_member_text', 'itam')(expr, key_sql) -}}
{%- endmacro %}

{% macro default__json_member_text(expr, key_sql) -%}
    json_extract_string({{ expr }}, '$."' || {{ key_sql }} || '"')
{%- endmacro %}

{% macro spark__json_member_text(expr, key_sql) -%}
    from_json({{ expr }}, 'map<string,string>')[{{ key_sql }}]
{%- endmacro %}

{# `union all by name` (DuckDB); Spark SQL has no BY NAME, so there it is a plain `union all` and the
   branches must give the same columns in the same order (the models that use it do). #}
{% macro union_all_by_name() -%}
    {{- adapter.dispatch('union_all_by_name', 'itam')() -}}
{%- endmacro %}

{% macro default__union_all_by_name() -%}union all by name{%- endmacro %}

{% macro spark__union_all_by_name() -%}union all{%- endmacro %}

{# A number as text with thousands separators and 2 decimals ('1,234,567.12'), from a DOUBLE. #}
{% macro format_thousands(expr) -%}
    {{- adapter.dispatch('format_thousands', 'itam')(expr) -}}
{%- endmacro %}

{% macro default__format_thousands(expr) -%}format('{:,.2f}', {{ expr }}){%- endmacro %}

{% macro spark__format_thousands(expr) -%}format_number({{ expr }}, 2){%- endmacro %}

{# Number of elements of a list. #}
{% macro list_length(list_sql) -%}
    {{- adapter.dispatch('list_length', 'itam')(list_sql) -}}
{%- endmacro %}

{% macro default__list_length(list_sql) -%}len({{ list_sql }}){%- endmacro %}

{% macro spark__list_length(list_sql) -%}size({{ list_sql }}){%- endmacro %}

{# last_value skipping NULLs, as a window function (the OVER clause follows the call). #}
{% macro last_value_ignore_nulls(expr) -%}
    {{- adapter.dispatch('last_value_ignore_nulls', 'itam')(expr) -}}
{%- endmacro %}

{% macro default__last_value_ignore_nulls(expr) -%}last_value({{ expr }} ignore nulls){%- endmacro %}

{% macro spark__last_value_ignore_nulls(expr) -%}last_value({{ expr }}, true){%- endmacro %}

{# DuckDB divides a DECIMAL as a DOUBLE; Spark keeps a DECIMAL (exact, then HALF_UP): a half cent
   then rounds differently (873.99 x 12 / 24 = 436.995 is 436.99 in DuckDB). On Spark the division
   is made a DOUBLE division too. #}
{% macro div_double(a, b) -%}
    {{- adapter.dispatch('div_double', 'itam')(a, b) -}}
{%- endmacro %}

{% macro default__div_double(a, b) -%}{{ a }} / {{ b }}{%- endmacro %}

{% macro spark__div_double(a, b) -%}cast({{ a }} as double) / {{ b }}{%- endmacro %}

{# round() of a DOUBLE as DuckDB does it: the value times 10^digits rounded half away from zero
   (Spark's round of a double goes through its shortest decimal text, so 2.675 would not give
   DuckDB's 2.68). #}
{% macro round_double(expr, digits) -%}
    {{- adapter.dispatch('round_double', 'itam')(expr, digits) -}}
{%- endmacro %}

{% macro default__round_double(expr, digits) -%}round({{ expr }}, {{ digits }}){%- endmacro %}

{% macro spark__round_double(expr, digits) -%}
    round(({{ expr }}) * {{ 10 ** digits }}, 0) / {{ 10 ** digits }}
{%- endmacro %}

{# A row value of several columns (e.g. to count distinct pairs): row(a, b) / struct(a, b). #}
{% macro row_value(columns) -%}
    {{- adapter.dispatch('row_value', 'itam')(columns) -}}
{%- endmacro %}

{% macro default__row_value(columns) -%}row({{ columns | join(', ') }}){%- endmacro %}

{% macro spark__row_value(columns) -%}struct({{ columns | join(', ') }}){%- endmacro %}
