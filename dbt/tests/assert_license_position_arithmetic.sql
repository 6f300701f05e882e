-- Invariant: the effective license position adds up (docs/marts.md): position = entitlements −
-- consumption, reclaimable within consumption, true-up after reharvesting within the shortfall,
-- money never negative, exposure only in its own column (one-time for perpetual, per year for
-- subscriptions), and savings on a product with anything left to buy are 0 by construction.
select as_of_date, publisher, product, license_metric, entitlements, consumption, position,
       reclaimable, shortfall_units, true_up_units, true_up_exposure_one_time, true_up_exposure_per_year,
       recurring_savings_per_year, reharvest_value, shelfware_cost_per_year
from {{ ref('fct_license_position') }}
where position <> entitlements - consumption
   or reclaimable < 0 or reclaimable > consumption
   or shortfall_units <> greatest(-position, 0)
   or true_up_units < 0 or true_up_units > shortfall_units
   or least(true_up_exposure_one_time, true_up_exposure_per_year, recurring_savings_per_year,
            reharvest_value, shelfware_cost_per_year) < 0
   or (true_up_units = 0 and true_up_exposure_one_time + true_up_exposure_per_year <> 0)
   or (true_up_exposure_one_time <> 0 and true_up_exposure_per_year <> 0)
   -- savings on an under-licensed product are 0 (reclaimed licenses are reused, not saved)
   or (true_up_units > 0 and recurring_savings_per_year <> 0)
