-- Invariant: the refresh plan holds an asset once per snapshot date (its earliest due date).
select as_of_date, asset_id, count(*) as n
from {{ ref('fct_refresh_plan') }}
group by all
having count(*) > 1
