-- endoflife.date release cycles known at each snapshot date (reference/eol_cycles, an optional
-- extension: without it every lookup finds nothing). Product and cycle compared in lower case.
with cycles as (
    {{ latest_records('stg_reference__eol_cycles', 'lower(trim(r.product)), lower(trim(r.cycle))') }}
)

select
    as_of_date,
    lower(trim(product)) as product,
    lower(trim(cycle)) as cycle,
    release_date,
    eol_date,
    eol_flag,
    support_end_date,
    extended_support_date,
    latest,
    -- The date the cycle is (or was) at end of life: the published date; `eol: true` without a
    -- date means already at end of life, so the snapshot date itself; false or blank = none.
    case
        when eol_date is not null then eol_date
        when eol_flag then as_of_date
    end as eol_due_date
from cycles
