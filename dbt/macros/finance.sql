{# Finance arithmetic used by the finance marts (docs/decisions/depreciation-convention.md and
   docs/decisions/cost-allocation-drivers.md). One definition each. #}

{# Whole months in service under the monthly convention: every month-end reached from the start
   date up to and including end_date, the start month counted in full. NULL start → NULL; an end
   before the start → 0. 2024-02-01 → 2026-09-30 = 32; → 2026-09-15 = 31. #}
{% macro service_months(start_date, end_date) -%}
    case when {{ start_date }} is not null and {{ end_date }} is not null then greatest(0,
        (year({{ end_date }}) * 12 + month({{ end_date }}))
        - (year({{ start_date }}) * 12 + month({{ start_date }}))
        + case when {{ end_date }} = last_day({{ end_date }}) then 1 else 0 end) end
{%- endmacro %}

{# The last day of the month before the one `d` falls in: a disposal stops depreciation there
   (the disposal month itself is not depreciated). #}
{% macro month_end_before(d) -%}
    cast(date_trunc('month', {{ d }}) - interval 1 day as date)
{%- endmacro %}

{# Integer cents of a money amount (reporting currency, rounded half away from zero), and back. #}
{% macro to_cents(amount) -%}
    cast(round({{ amount }}, 2) * 100 as {{ itam.type_hugeint() }})
{%- endmacro %}

{% macro from_cents(cents) -%}
    cast(cast({{ cents }} as decimal(38, 0)) * 0.01 as decimal(18, 2))
{%- endmacro %}

{# Exact split of an amount (largest-remainder method). `relation` (a CTE or table) has one row per
   member of a pool: the pool columns `pool_by`, the pool's amount in integer cents `pool_cents`
   (the same on every row of the pool) and the member's integer `weight` (>= 0, > 0 in total per
   pool). Every member gets floor(|pool| x weight / total weight) cents; the cents left over go one
   each to the members with the largest remainders (ties: `tie_break` ascending). The pool's sign is
   kept, so the members of a pool always sum to the pool, cent for cent. Returns the relation's
   columns plus `allocated_cents` (HUGEINT). #}
{% macro largest_remainder(relation, pool_by, tie_break, pool_cents='pool_cents', weight='weight') -%}
    select * {{ itam.star_exclude() }} (_num, _w_total, _floor, _rem, _rank, _left),
        sign({{ pool_cents }}) * (_floor + case when _rank <= _left then 1 else 0 end) as allocated_cents
    from (
        select *,
            row_number() over (partition by {{ pool_by }} order by _rem desc, {{ tie_break }}) as _rank,
            abs(cast({{ pool_cents }} as {{ itam.type_hugeint() }})) - sum(_floor) over (partition by {{ pool_by }}) as _left
        from (
            select *, _num {{ itam.int_div_op() }} _w_total as _floor, _num % _w_total as _rem
            from (
                select *,
                    abs(cast({{ pool_cents }} as {{ itam.type_hugeint() }})) * cast({{ weight }} as {{ itam.type_hugeint() }}) as _num,
                    sum(cast({{ weight }} as {{ itam.type_hugeint() }})) over (partition by {{ pool_by }}) as _w_total
                from {{ relation }}
            )
        )
    )
{%- endmacro %}

{# A cloud resource id reduced to its last segment, lower case, so a FOCUS ResourceId written as an
   ARN or an Azure path ('arn:aws:ec2:...:instance/i-0abc', '/subscriptions/.../vm01') meets the
   instance id discovery reports ('i-0abc'). #}
{% macro normalise_cloud_resource(col) -%}
    nullif(lower(trim(regexp_replace(trim({{ col }}), '^.*[/:]', ''))), '')
{%- endmacro %}

{# Issue 13. Net book value after n months (n <= life) under the declining-balance convention of
   docs/decisions/depreciation-convention.md (rate r, switch month k), unrounded (DOUBLE). #}
{% macro db_nbv(cost, life, n, rate, k) -%}
    (case when {{ n }} <= {{ k }} then cast({{ cost }} as double) * pow(1 - {{ rate }}, {{ n }})
          else cast({{ cost }} as double) * pow(1 - {{ rate }}, {{ k }}) * ({{ life }} - {{ n }})
               / nullif({{ life }} - {{ k }}, 0) end)
{%- endmacro %}

{# Issue 13. The first day of the 12-month window that ends at `d` (a snapshot date): the cost
   "of the last 12 months" is what falls on or after it and on or before d. #}
{% macro window_start(d) -%}
    cast(date_trunc('month', {{ d }}) - interval 11 month as date)
{%- endmacro %}
