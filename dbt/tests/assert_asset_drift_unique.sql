-- Invariant: one drift row per asset, attribute and pair of snapshots.
select from_as_of_date, to_as_of_date, asset_id, attribute, count(*) as n
from {{ ref('fct_asset_drift') }}
group by all
having count(*) > 1
