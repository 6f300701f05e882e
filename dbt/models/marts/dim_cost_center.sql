-- Cost centers per snapshot date (finance/cost_centers), for filters and roll-ups by department.
with cc as (
    {{ latest_records('stg_finance__cost_centers', 'upper(trim(r.cost_center))') }}
)
select
    as_of_date,
    trim(cost_center) as cost_center,
    name as cost_center_name,
    department,
    {{ normalise_email('owner_email') }} as owner_email,
    nullif(trim(parent_cost_center), '') as parent_cost_center
from cc
