-- Invariant: matching places every source record (CI, discovered device, serialised purchase
-- line, register row) in exactly one asset per snapshot date.
select as_of_date, record_id, count(*) as assets_for_record
from {{ ref('int_asset_matching') }}
group by all
having count(*) > 1
