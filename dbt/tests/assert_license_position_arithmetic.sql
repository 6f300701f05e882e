-- Invariant: the license position adds up (docs/marts.md): position = entitlements − consumption,
-- reclaimable within consumption, money never negative.
select as_of_date, publisher, product, license_metric, entitlements, consumption, position,
       reclaimable, reclaim_savings, true_up_exposure
from {{ ref('fct_license_position') }}
where position <> entitlements - consumption
   or reclaimable < 0 or reclaimable > consumption
   or reclaim_savings < 0 or true_up_exposure < 0
   or (position >= 0 and true_up_exposure <> 0)
