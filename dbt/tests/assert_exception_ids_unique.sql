-- Invariant: one row per exception per snapshot date (stable ids never collide).
select as_of_date, exception_id, count(*) as n
from {{ ref('fct_reconciliation_exceptions') }}
group by all
having count(*) > 1
