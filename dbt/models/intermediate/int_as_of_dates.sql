-- The snapshot dates this build describes: every export date up to the as-of date, and the
-- as-of date itself. Every mart is computed once per row here (one snapshot per as-of date).
with bounds as (
    select {{ as_of_date() }} as as_of
)

select export_date as as_of_date
from {{ ref('int_export_dates') }}, bounds
where export_date <= bounds.as_of
union
select as_of from bounds
where as_of is not null
