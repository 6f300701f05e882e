-- Invariant: matching and governance give every asset exactly one row (so one class and at most
-- one owner) per snapshot date.
select as_of_date, asset_id, count(*) as rows_for_asset
from {{ ref('dim_asset') }}
group by all
having count(*) > 1
