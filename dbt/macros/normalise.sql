{# One definition of every normalisation, applied to the data and to the taxonomy's
   dictionaries alike, so the two can never disagree. #}

{# Serial numbers: upper case, no whitespace or separators; vendor placeholders are no serial. #}
{% macro normalise_serial(col) -%}
    case
        when regexp_replace(upper(trim({{ col }})), '[\s\-:/._]', ''{{ itam.regex_all() }})
             in ('', 'NONE', 'NA', 'NULL', 'UNKNOWN', 'DEFAULTSTRING', 'TOBEFILLEDBYOEM',
                 'SYSTEMSERIALNUMBER', 'CHASSISSERIALNUMBER', '0', '00000000', '0000000000',
                 '123456789', '1234567890', 'NOTAPPLICABLE', 'NOTSPECIFIED', 'INVALID')
            then null
        else regexp_replace(upper(trim({{ col }})), '[\s\-:/._]', ''{{ itam.regex_all() }})
    end
{%- endmacro %}

{# Hostnames: lower case, domain suffix dropped (an IP address is kept whole). #}
{% macro normalise_hostname(col) -%}
    {%- set ip_pattern -%}'^\d+\.\d+\.\d+\.\d+$'{%- endset -%}
    case
        when nullif(trim({{ col }}), '') is null then null
        when {{ itam.regex_search('trim(' ~ col ~ ')', ip_pattern) }} then trim({{ col }})
        else nullif(split_part(lower(trim({{ col }})), '.', 1), '')
    end
{%- endmacro %}

{# Asset tags: upper case, no whitespace. #}
{% macro normalise_tag(col) -%}
    nullif(regexp_replace(upper(trim({{ col }})), '\s', ''{{ itam.regex_all() }}), '')
{%- endmacro %}

{% macro normalise_email(col) -%}
    nullif(lower(trim({{ col }})), '')
{%- endmacro %}

{# MAC addresses: 12 lower-case hex digits; all-zero or malformed is no MAC. #}
{% macro normalise_mac(col) -%}
    case
        when length(regexp_replace(lower({{ col }}), '[^0-9a-f]', ''{{ itam.regex_all() }})) = 12
             and regexp_replace(lower({{ col }}), '[^0-9a-f]', ''{{ itam.regex_all() }}) not in ('000000000000', 'ffffffffffff')
            then regexp_replace(lower({{ col }}), '[^0-9a-f]', ''{{ itam.regex_all() }})
    end
{%- endmacro %}

{# Vendor, publisher, product and app names: lower case, punctuation to spaces, legal suffixes
   (Inc., Corp., Ltd., GmbH, ...) removed, whitespace collapsed. #}
{% macro normalise_name(col) -%}
    {%- set suffix = "'(^| )(inc|incorporated|corp|corporation|co|company|ltd|limited|llc|gmbh|plc|pty|sro|s r o|ag|sa|bv|nv|the)( |$)'" -%}
    nullif(trim(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
        lower(trim({{ col }})),
        '[^a-z0-9+#]+', ' '{{ itam.regex_all() }}),
        {{ suffix }}, ' '{{ itam.regex_all() }}),
        {{ suffix }}, ' '{{ itam.regex_all() }}),
        '\s+', ' '{{ itam.regex_all() }})), '')
{%- endmacro %}

{# The as-of date of this build: --vars '{as_of: YYYY-MM-DD}', else the latest export date. #}
{% macro as_of_date() -%}
    {%- if var('as_of', '') not in ('', none) -%}
        date '{{ var("as_of") }}'
    {%- else -%}
        (select max(export_date) from {{ ref('int_export_dates') }})
    {%- endif -%}
{%- endmacro %}
